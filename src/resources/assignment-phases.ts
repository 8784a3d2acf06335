import { invalidArgument } from "../connector/errors.js";
import type { Cursor } from "../connector/page-token.js";

/**
 * A namespace's or a project's grants outside a sync come from its assignment lists (a handful
 * of calls), walked in these phases, then the roles inherited from account roles; inside a sync
 * they come from the sync's access index instead.
 */
export const ASSIGNMENT_PHASES = ["users", "service-accounts", "groups", "inherited"] as const;

/** AssignmentCursor is where such a walk stands: the phase, and the upstream page token within it. */
export type AssignmentCursor = { phase: number; token: string };

/** assignmentCursor reads a walk's cursor; one a genuine page could not carry is INVALID_ARGUMENT. */
export function assignmentCursor(cursor: Cursor | undefined): AssignmentCursor {
  if (cursor === undefined) return { phase: 0, token: "" };
  const c = cursor as Partial<AssignmentCursor>;
  const phase = typeof c === "object" && c !== null ? c.phase : undefined;
  if (phase === undefined || !Number.isInteger(phase) || !(phase >= 0 && phase < ASSIGNMENT_PHASES.length) || typeof c.token !== "string") {
    throw invalidArgument("page_token does not belong to this list; start again without a page_token");
  }
  return { phase, token: c.token };
}

/** nextAssignmentCursor is the cursor after a page of `phase`: its next page, else the next phase, else the end. */
export function nextAssignmentCursor(phase: number, nextToken: string): AssignmentCursor | undefined {
  if (nextToken) return { phase, token: nextToken };
  return phase + 1 < ASSIGNMENT_PHASES.length ? { phase: phase + 1, token: "" } : undefined;
}
