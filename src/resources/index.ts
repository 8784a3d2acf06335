import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { createAccountRoleSyncer } from "./account-role.js";
import { createApiKeySyncer } from "./api-key.js";
import { createCustomRoleSyncer } from "./custom-role.js";
import { createGroupSyncer } from "./group.js";
import { createNamespaceSyncer } from "./namespace.js";
import { createServiceAccountSyncer } from "./service-account.js";
import { createUserSyncer } from "./user.js";
import type { TemporalAccount } from "./temporal-account.js";

/**
 * createResourceSyncers returns every resource type of the connector, one line per type, in the
 * order a sync takes them. Groups come first: listing them starts the member fetches (one
 * request per group, most of a sync's upstream requests), which then run, paced by the rate
 * limit, while the other types are synced. The rest are in alphabetical order.
 */
export function createResourceSyncers(account: TemporalAccount): ResourceSyncer[] {
  return [
    createGroupSyncer(account),
    createAccountRoleSyncer(account),
    createApiKeySyncer(account),
    createCustomRoleSyncer(account),
    createNamespaceSyncer(account),
    createServiceAccountSyncer(account),
    createUserSyncer(account),
  ];
}
