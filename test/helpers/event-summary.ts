import type { Event } from "../../src/connector/c1.js";

/** eventSummary renders an event for people and for comparison: "grant namespace:…:read user:…". */
export function eventSummary(event: Event): string {
  const ev = event.event;
  const id = (r?: { id?: { resourceType: string; resource: string } }) => `${r?.id?.resourceType}:${r?.id?.resource}`;
  switch (ev.case) {
    case "createGrantEvent":
      return `grant ${ev.value.entitlement?.id} ${id(ev.value.principal)}`;
    case "createRevokeEvent":
      return `revoke ${ev.value.entitlement?.id} ${id(ev.value.principal)}`;
    case "resourceChangeEvent":
      return `change ${ev.value.resourceId?.resourceType}:${ev.value.resourceId?.resource}`;
    case "usageEvent":
      return `usage ${id(ev.value.targetResource)} by ${id(ev.value.actorResource)}`;
    default:
      return `unexpected ${ev.case}`;
  }
}
