import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { annotation } from "../connector/annotations.js";
import { SecurityInsightTraitSchema, type Resource } from "../connector/c1.js";
import { newResource, resourceId } from "../connector/ids.js";
import { stringCursor } from "../connector/page-token.js";
import { lazily, type ResourceSyncer } from "../connector/resource-syncer.js";
import { profile } from "../resources/common.js";
import { projectList } from "../resources/project.js";
import { findInsights, INSIGHT_KINDS, type Insight, type InsightThresholds } from "./insight-rules.js";
import { SECURITY_INSIGHT } from "../resources/resource-types.js";
import type { TemporalAccount } from "../resources/temporal-account.js";

/** INSIGHTS_PER_PAGE: findings are small; a page of them stays far below the message limit. */
const INSIGHTS_PER_PAGE = 1000;

/**
 * securityInsightResource converts a finding into a `security-insight` resource: its display
 * name is the finding's sentence, and its SecurityInsightTrait names the kind, the severity, the
 * resource the finding is about and when it was observed.
 */
export function securityInsightResource(insight: Insight, observedAt: Date): Resource {
  return newResource(SECURITY_INSIGHT, insight.id, {
    displayName: insight.sentence,
    description: insight.rule ?? INSIGHT_KINDS[insight.kind].rule,
    profile: profile(insight.facts),
    annotations: [
      annotation(SecurityInsightTraitSchema, {
        insightType: { case: "issue", value: { value: insight.kind, severity: insight.severity } },
        observedAt: timestampFromDate(observedAt),
        target: { case: "resourceId", value: resourceId(insight.target.resourceType, insight.target.resource) },
      }),
    ],
  });
}

/**
 * createSecurityInsightSyncer builds the `security-insight` resource type. Findings come from
 * the lists the sync's snapshot holds anyway (users, service accounts, groups, API keys), so they
 * cost no upstream request of their own; they are computed once per sync, at the sync's time,
 * and served in id order, a page resuming after the last id served.
 */
export function createSecurityInsightSyncer(account: TemporalAccount, thresholds: InsightThresholds): ResourceSyncer {
  return {
    resourceType: SECURITY_INSIGHT,
    async list(ctx, parent, cursor) {
      if (parent) return { items: [] };
      const snapshot = account.snapshot(ctx);
      const insights = await snapshot.derive(
        "security-insights",
        async (signal) => {
          const [accountId, users, serviceAccounts, groups, apiKeys, projects] = await Promise.all([
            account.accountId(),
            snapshot.users.all(signal),
            snapshot.serviceAccounts.all(signal),
            snapshot.groups.all(signal),
            snapshot.apiKeys.all(signal),
            // For project names; a sync lists the projects anyway when the API version has them.
            account.projects ? projectList(account, snapshot).all(signal) : undefined,
          ]);
          return findInsights({ accountId, users, serviceAccounts, groups, apiKeys, projects }, snapshot.takenAt, thresholds);
        },
        ctx.signal,
      );
      const start = cursor === undefined ? 0 : firstAfter(insights, stringCursor(cursor));
      const page = insights.slice(start, start + INSIGHTS_PER_PAGE);
      const next = start + INSIGHTS_PER_PAGE < insights.length ? page[page.length - 1]!.id : undefined;
      return { items: lazily(page, (insight) => securityInsightResource(insight, snapshot.takenAt)), next };
    },
  };
}

/** firstAfter is the index of the first finding whose id sorts after `id` (ids are sorted). */
function firstAfter(insights: readonly Insight[], id: string): number {
  let lo = 0;
  let hi = insights.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (insights[mid]!.id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
