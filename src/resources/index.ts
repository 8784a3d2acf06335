import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { createAccountRoleSyncer } from "./account-role.js";
import { createApiKeySyncer } from "./api-key.js";
import { createCustomRoleSyncer } from "./custom-role.js";
import { createGroupSyncer } from "./group.js";
import { createNamespaceSyncer } from "./namespace.js";
import { createProjectSyncer } from "./project.js";
import { createServiceAccountSyncer } from "./service-account.js";
import { createUserSyncer } from "./user.js";
import type { TemporalAccount } from "./temporal-account.js";

/**
 * createResourceSyncers returns every resource type of the connector, one line per type, in the
 * order they are announced. The Go syncer takes them from a stack, last announced first, so the
 * order is chosen for it: groups first, because listing them starts the member fetches (one
 * request per group, most of a sync's upstream requests), which then run, paced by the rate
 * limit, while the other types are synced; then users, the longest chain of upstream pages.
 * The security-insight type (src/insights/) is announced before all of these (app.ts), so it is
 * synced last: its findings are computed from lists the others have read by then. Projects
 * exist only from API version v0.18.0: an older version announces no project type at all.
 */
export function createResourceSyncers(account: TemporalAccount): ResourceSyncer[] {
  return [
    createAccountRoleSyncer(account),
    createApiKeySyncer(account),
    createCustomRoleSyncer(account),
    createNamespaceSyncer(account),
    ...(account.projects ? [createProjectSyncer(account)] : []),
    createServiceAccountSyncer(account),
    createUserSyncer(account),
    createGroupSyncer(account),
  ];
}
