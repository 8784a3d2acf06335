import type { ResourceSyncer } from "../connector/resource-syncer.js";
import { createAccountRoleSyncer } from "./account-role.js";
import { createApiKeySyncer } from "./api-key.js";
import { createCustomRoleSyncer } from "./custom-role.js";
import { createGroupSyncer } from "./group.js";
import { DEFAULT_INSIGHT_THRESHOLDS, type InsightThresholds } from "./insight-rules.js";
import { createNamespaceSyncer } from "./namespace.js";
import { createSecurityInsightSyncer } from "./security-insight.js";
import { createServiceAccountSyncer } from "./service-account.js";
import { createUserSyncer } from "./user.js";
import type { TemporalAccount } from "./temporal-account.js";

/**
 * createResourceSyncers returns every resource type of the connector, one line per type, in the
 * order they are announced. The Go syncer takes them from a stack, last announced first, so the
 * order is chosen for it: groups first, because listing them starts the member fetches (one
 * request per group, most of a sync's upstream requests), which then run, paced by the rate
 * limit, while the other types are synced; then users, the longest chain of upstream pages.
 * Security insights come last: they are computed from lists the others have read by then.
 */
export function createResourceSyncers(account: TemporalAccount, options: { insights?: InsightThresholds } = {}): ResourceSyncer[] {
  return [
    createSecurityInsightSyncer(account, options.insights ?? DEFAULT_INSIGHT_THRESHOLDS),
    createAccountRoleSyncer(account),
    createApiKeySyncer(account),
    createCustomRoleSyncer(account),
    createNamespaceSyncer(account),
    createServiceAccountSyncer(account),
    createUserSyncer(account),
    createGroupSyncer(account),
  ];
}
