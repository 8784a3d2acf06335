import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AccountAccess_Role as Role,
  ApiKeySchema,
  NamespaceAccess_Permission as Permission,
  OwnerType,
  UserGroupSchema,
  UserSchema,
} from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { ResourceState } from "../../src/gen/temporal/api/cloud/resource/v1/message_pb.js";
import { createDemoAccount, type AccountData } from "../../src/simulator/temporal/index.js";

/** HOSTILE holds texts an account could contain that must show as text, never run or render. */
export const HOSTILE = {
  email: `<script>window.pwned=1</script>@evil.example`,
  group: `<img src=x onerror="window.pwned=2">Ops`,
  key: `key"><b>bold</b>&amp;`,
};

/**
 * hostileAccount is the demo account plus a user, a group (holding admin on a namespace, with
 * that user as a member) and an API key whose names are markup.
 */
export function hostileAccount(): AccountData {
  const account = createDemoAccount();
  const namespace = account.namespaces[0]!.namespace;
  const userId = "0badc0de0badc0de0badc0de0badc001";
  const groupId = "0badc0de0badc0de0badc0de0badc002";
  account.users.push(
    create(UserSchema, {
      id: userId,
      resourceVersion: "v1",
      state: ResourceState.ACTIVE,
      spec: { email: HOSTILE.email, access: { accountAccess: { role: Role.DEVELOPER }, namespaceAccesses: { [namespace]: { permission: Permission.WRITE } } } },
      createdTime: timestampFromDate(new Date("2025-01-01T00:00:00Z")),
    }),
  );
  account.groups.push(
    create(UserGroupSchema, {
      id: groupId,
      resourceVersion: "v1",
      state: ResourceState.ACTIVE,
      spec: { displayName: HOSTILE.group, access: { accountAccess: { role: Role.READ }, namespaceAccesses: { [namespace]: { permission: Permission.ADMIN } } }, groupType: { case: "cloudGroup", value: {} } },
    }),
  );
  account.groupMembers.set(groupId, [userId]);
  account.apiKeys.push(
    create(ApiKeySchema, {
      id: "0badc0de0badc0de0badc0de0badc003",
      resourceVersion: "v1",
      state: ResourceState.ACTIVE,
      createdTime: timestampFromDate(new Date(Date.now() - 10 * 86_400_000)),
      spec: { ownerId: userId, ownerType: OwnerType.USER, displayName: HOSTILE.key, expiryTime: timestampFromDate(new Date(Date.now() + 300 * 86_400_000)) },
    }),
  );
  return account;
}
