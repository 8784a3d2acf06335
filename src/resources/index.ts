import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { createAccountRoleSyncer } from "./account-role.js";
import { createApiKeySyncer } from "./api-key.js";
import { createCustomRoleSyncer } from "./custom-role.js";
import { createGroupSyncer } from "./group.js";
import { createNamespaceSyncer } from "./namespace.js";
import { createServiceAccountSyncer } from "./service-account.js";
import { createUserSyncer } from "./user.js";
import type { TemporalAccount } from "./temporal-account.js";

/** createResourceSyncers returns every resource type of the connector: one line per type. */
export function createResourceSyncers(account: TemporalAccount): ResourceSyncer[] {
  return [
    createUserSyncer(account),
    createServiceAccountSyncer(account),
    createGroupSyncer(account),
    createNamespaceSyncer(account),
    createAccountRoleSyncer(account),
    createCustomRoleSyncer(account),
    createApiKeySyncer(account),
  ];
}
