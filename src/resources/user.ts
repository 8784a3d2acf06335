import { randomUUID } from "node:crypto";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { annotation, v1Identifier } from "../connector/annotations.js";
import { Status_ResourceStatus, UserTraitSchema, UserTrait_AccountType, type AccountInfo, type Resource, type Status } from "../connector/c1.js";
import { failedPrecondition, invalidArgument } from "../connector/errors.js";
import { newResource } from "../connector/ids.js";
import type { CallContext, ResourceSyncer } from "../connector/resource-syncer.js";
import { AccountAccess_Role, type User } from "../gen/temporal/api/cloud/identity/v1/message_pb.js";
import type { AsyncOperation } from "../gen/temporal/api/cloud/operation/v1/message_pb.js";
import { TemporalApiError } from "../temporal/errors.js";
import { clipToBytes, iso, isNotFound, orUndefinedIfMissing, profile, resourceStatus, stateName, pageOf } from "./common.js";
import { readModifyWrite } from "./read-modify-write.js";
import { USER } from "./resource-types.js";
import type { TemporalAccount } from "./temporal-account.js";
import { roleInfo, roleOf, roleSlug } from "./temporal-access.js";

/**
 * userStatus says whether a user can sign in. An open invitation is ENABLED (the user can accept
 * it at any time) with its expiry in the details; an expired, never accepted one is DISABLED.
 */
function userStatus(user: User, now: Date): Status {
  const expires = user.invitation?.expiredTime && timestampDate(user.invitation.expiredTime);
  const base = resourceStatus(user.state);
  if (!expires || base.status !== Status_ResourceStatus.ENABLED) return base;
  if (expires < now) {
    return { ...base, status: Status_ResourceStatus.DISABLED, details: `invitation expired on ${expires.toISOString()} without being accepted` };
  }
  return { ...base, details: `invitation pending until ${expires.toISOString()}` };
}

/** invitationStatus is "pending", "expired", or undefined once accepted. */
function invitationStatus(user: User, now: Date): string | undefined {
  const expires = user.invitation?.expiredTime && timestampDate(user.invitation.expiredTime);
  if (!expires) return undefined;
  return expires < now ? "expired" : "pending";
}

/** userResource converts a Temporal user into a `user` resource. */
export function userResource(user: User, now = new Date()): Resource {
  const email = user.spec?.email ?? "";
  const access = user.spec?.access;
  const status = userStatus(user, now);
  const details = profile({
    user_id: user.id,
    email,
    account_role: access?.accountAccess ? roleSlug(access.accountAccess.role) : undefined,
    custom_roles: clipToBytes(access?.accountAccess?.customRoles.join(",") ?? "", 4096),
    state: stateName(user.state),
    invitation_status: invitationStatus(user, now),
    invitation_expires_at: iso(user.invitation?.expiredTime),
    last_modified_at: iso(user.lastModifiedTime),
  });
  return newResource(USER, user.id, {
    displayName: email || user.id,
    profile: details,
    status,
    createdAt: user.createdTime,
    annotations: [
      annotation(UserTraitSchema, {
        emails: email ? [{ address: email, isPrimary: true }] : [],
        login: email,
        accountType: UserTrait_AccountType.HUMAN,
        // Deprecated trait fields, still read by the v0.7 baton CLI: its CSV export needs a trait
        // profile (the full one is Resource.profile; repeating it would double the encoding work).
        status: { status: status.status as number, details: status.details },
        profile: { user_id: user.id, email },
        createdAt: user.createdTime,
      }),
      v1Identifier(`user:${email}`),
    ],
  });
}

/** createUserSyncer builds the `user` resource type. */
export function createUserSyncer(account: TemporalAccount): ResourceSyncer {
  return {
    resourceType: USER,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      return pageOf(ctx, account.snapshot(ctx).users, cursor, (u) => {
        account.users.remember(u.spec?.email ?? "", u.id);
        return userResource(u);
      });
    },
    async get(ctx, id) {
      const user = await orUndefinedIfMissing(account.client.getUser(id.resource, { signal: ctx.signal }));
      if (user) account.users.remember(user.spec?.email ?? "", user.id);
      return user && userResource(user);
    },

    /**
     * createAccount invites a user by email with the default account role. Temporal Cloud sends
     * the invitation, so there is never a credential to return, whatever the request asked for.
     */
    async createAccount(ctx, info) {
      const email = emailOf(info);
      const existing = await findUserByEmail(ctx, email);
      if (existing) return { resource: userResource(existing), alreadyExists: true };
      const role = roleOf(account.defaultAccountRole);
      let created: { userId: string; operation: AsyncOperation };
      try {
        created = await account.client.createUser({ email, access: { accountAccess: { role } } }, { operationId: randomUUID(), signal: ctx.signal });
      } catch (err) {
        // Someone invited the same address between our lookup and our create.
        const raced = err instanceof TemporalApiError && err.kind === "already-exists" ? await findUserByEmail(ctx, email) : undefined;
        if (raced) return { resource: userResource(raced), alreadyExists: true };
        throw err;
      }
      const done = await account.awaitOperation(created.operation, ctx);
      const user = await account.client.getUser(created.userId, { signal: ctx.signal });
      const expires = user.invitation?.expiredTime;
      return { resource: userResource(user), invitationExpiresAt: expires && timestampDate(expires), requestId: done.id };
    },

    async delete(ctx, id) {
      const outcome = await readModifyWrite<User | undefined, { notFound: boolean }>(ctx, account, {
        describe: `delete user ${id.resource}`,
        read: () => orUndefinedIfMissing(account.client.getUser(id.resource, { signal: ctx.signal })),
        version: (user) => user?.resourceVersion ?? "",
        plan(user) {
          if (!user) return { result: { notFound: true } };
          if (user.spec?.access?.accountAccess?.role === AccountAccess_Role.OWNER) {
            throw failedPrecondition(`user ${user.spec.email} is an Account Owner: ${roleInfo("owner")!.neverProvisioned}`);
          }
          return { write: (opts) => account.client.deleteUser(user.id, opts), result: { notFound: false } };
        },
      }).catch((err: unknown) => {
        // Deleted by someone else while we were at it: the goal is reached.
        if (isNotFound(err)) return { notFound: true };
        throw err;
      });
      return outcome;
    },
  };

  async function findUserByEmail(ctx: CallContext, email: string): Promise<User | undefined> {
    const page = await account.client.listUsers({ email, pageSize: 10 }, { signal: ctx.signal });
    return page.items.find((u) => u.spec?.email.toLowerCase() === email.toLowerCase());
  }
}

/**
 * emailOf picks the address to invite: the primary email, else the first one, else the login,
 * else profile.email. It must look like an address.
 */
export function emailOf(info: AccountInfo): string {
  const primary = info.emails.find((e) => e.isPrimary) ?? info.emails[0];
  const fromProfile = info.profile?.email;
  const email = (primary?.address || info.login || (typeof fromProfile === "string" ? fromProfile : "")).trim();
  if (!email) throw invalidArgument("account_info has no email: set emails (primary), login or profile.email to the address to invite");
  if (!looksLikeAddress(email)) throw invalidArgument(`"${email.length > 64 ? `${email.slice(0, 64)}…` : email}" is not a valid email address to invite`);
  return email;
}

/** MAX_INVITE_EMAIL_CHARS is the longest address RFC 5321 lets through. */
const MAX_INVITE_EMAIL_CHARS = 254;

/**
 * looksLikeAddress checks the shape `local@domain.tld` with no white space and one "@" in one
 * pass over at most 254 characters: the length is checked before anything else, and nothing
 * backtracks, so no input can make it slow (the pattern it replaces took 9 s over 120 KB).
 */
function looksLikeAddress(email: string): boolean {
  if (email.length > MAX_INVITE_EMAIL_CHARS) return false;
  const at = email.indexOf("@");
  if (at <= 0 || email.indexOf("@", at + 1) !== -1) return false;
  const dot = email.lastIndexOf(".");
  if (dot <= at + 1 || dot === email.length - 1) return false;
  for (let i = 0; i < email.length; i++) if (/\s/.test(email[i]!)) return false;
  return true;
}
