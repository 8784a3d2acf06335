import { createHash } from "node:crypto";
import { Status_ResourceStatus, type Resource } from "../connector/c1.js";
import { ACCOUNT_ROLE, API_KEY, CUSTOM_ROLE, GROUP, NAMESPACE, PROJECT, SECURITY_INSIGHT, SERVICE_ACCOUNT, USER } from "../resources/resource-types.js";
import { buildAccessModel, compareText, key, SEVERITY_RANK, type AccessModel, type KeyInfo, type Ref, type ReportInput, type Via } from "./access-model.js";
import { REPORT_SCRIPT, REPORT_STYLE } from "./report-assets.js";

/** RenderOptions configures renderReport. */
export interface RenderOptions {
  /** When the report was made (shown in its header). */
  generatedAt: Date;
}

/**
 * renderReport turns a sync into one self-contained HTML page: a summary, the findings, who
 * holds each namespace and how, and what each user, service account and group holds. Nothing
 * is loaded from anywhere (style and script are inline), every text from the account is
 * escaped, and the page reads without its script, which only adds filtering and sorting.
 */
export function renderReport(input: ReportInput, options: RenderOptions): string {
  const model = buildAccessModel(input);
  const page = new Page(model);
  const accountId = accountIdOf(model);
  const title = `Temporal Cloud access report${accountId ? ` — ${accountId}` : ""}`;
  const sync = input.sync;
  const meta = [
    sync ? `sync ${esc(sync.syncId)}${sync.startedAt ? ` of ${when(sync.startedAt)}` : ""}` : "no sync recorded",
    `generated ${when(options.generatedAt)}`,
  ].join(" · ");
  const sections = [
    page.summary(),
    page.findings(),
    page.roles(),
    page.namespaces(),
    // Projects exist from API v0.18.0: a sync without the type has no section for them.
    ...(model.resourceTypes.some((t) => t.id === PROJECT.id) ? [page.projects()] : []),
    page.users(),
    page.serviceAccounts(),
    page.groups(),
    page.apiKeys(),
    page.customRoles(),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<header class="bar">
<h1>${esc(title)}</h1>
<p class="meta">${meta}</p>
<label class="filter" hidden>Filter every table <input id="filter" type="search" placeholder="name, email, namespace, kind…" autocomplete="off"></label>
</header>
<nav>${sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join(" ")}</nav>
<main>
${sections.map((s) => s.html).join("\n")}
</main>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * REPORT_CSP is the page's Content-Security-Policy: nothing may load or run but the page's own
 * style and script, named by their hashes. Were some account text ever to escape esc(), the
 * browser would still refuse to run it (and report the violation). A meta policy cannot set
 * frame-ancestors or a report URI; the page is a file, opened by people, not served.
 */
export const REPORT_CSP = [
  "default-src 'none'",
  `style-src '${sha256(REPORT_STYLE)}'`,
  `script-src '${sha256(REPORT_SCRIPT)}'`,
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

function sha256(text: string): string {
  return `sha256-${createHash("sha256").update(text).digest("base64")}`;
}

/** Section is one titled part of the page. */
interface Section {
  id: string;
  title: string;
  html: string;
}

/** ANCHOR_PREFIX gives each resource type's rows short anchors (u1, s2…): ids never carry account text. */
const ANCHOR_PREFIX: Readonly<Record<string, string>> = {
  [USER.id]: "u",
  [SERVICE_ACCOUNT.id]: "s",
  [GROUP.id]: "g",
  [API_KEY.id]: "k",
  [NAMESPACE.id]: "n",
  [PROJECT.id]: "p",
  [ACCOUNT_ROLE.id]: "r",
  [CUSTOM_ROLE.id]: "c",
  [SECURITY_INSIGHT.id]: "f",
};

const TYPE_LABEL: Readonly<Record<string, string>> = {
  [USER.id]: "user",
  [SERVICE_ACCOUNT.id]: "service account",
  [GROUP.id]: "group",
  [ACCOUNT_ROLE.id]: "account role",
};

const SEVERITIES = ["critical", "high", "medium", "low"] as const;

/** SUMMARY_ORDER lists resource types in the summary: principals, what they hold, then findings; others last. */
const SUMMARY_ORDER: readonly string[] = [USER.id, SERVICE_ACCOUNT.id, GROUP.id, NAMESPACE.id, PROJECT.id, ACCOUNT_ROLE.id, CUSTOM_ROLE.id, API_KEY.id, SECURITY_INSIGHT.id];

/** Page renders the sections of one report from its model. */
class Page {
  private readonly anchors = new Map<string, string>();

  constructor(private readonly model: AccessModel) {
    for (const [type, list] of model.byType) {
      const prefix = ANCHOR_PREFIX[type];
      if (prefix) list.forEach((r, i) => this.anchors.set(key(type, r.id!.resource), `${prefix}${i + 1}`));
    }
  }

  summary(): Section {
    const m = this.model;
    const bySeverity = new Map<string, number>();
    for (const f of m.findings) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
    const findingRows = SEVERITIES.map((s) => `<tr><th scope="row"><span class="sev ${s}">${s}</span><td class="num">${bySeverity.get(s) ?? 0}`).join("\n");

    const admins = this.adminHolders();
    const distinct = new Set(admins.map((a) => key(a.principal.type, a.principal.id)));
    const owners = new Set(admins.filter((a) => m.roleSlug(a.role) === "owner").map((a) => key(a.principal.type, a.principal.id)));
    const throughGroups = new Set(admins.filter((a) => a.via.group).map((a) => key(a.principal.type, a.principal.id)));
    const serviceAccounts = new Set(admins.filter((a) => a.principal.type === SERVICE_ACCOUNT.id).map((a) => key(a.principal.type, a.principal.id)));

    const rank = (id: string) => (SUMMARY_ORDER.includes(id) ? SUMMARY_ORDER.indexOf(id) : SUMMARY_ORDER.length);
    const types = [...m.resourceTypes].sort((a, b) => rank(a.id) - rank(b.id));
    const typeRows = types.map((t) => `<tr><th scope="row">${esc(t.displayName || t.id)}<td class="num">${m.byType.get(t.id)?.length ?? 0}`);
    typeRows.push(`<tr><th scope="row">Grants<td class="num">${m.grantCount}`);
    // Expanded syncs hold the grants members and role holders get through their group or role; the tables below show them with the way they come.
    if (m.derivedGrantCount > 0) typeRows.push(`<tr><th scope="row">of which derived (through a group or role)<td class="num">${m.derivedGrantCount}`);
    const html = `<section id="summary">
<h2>Summary</h2>
<div class="cards">
<div class="card" id="summary-findings"><h3>Findings by severity</h3><p class="figure">${m.findings.length}</p><table>${findingRows}</table></div>
<div class="card" id="summary-admins"><h3>Owners and admins</h3><p class="figure">${distinct.size}</p>
<p>${owners.size} Account Owner${owners.size === 1 ? "" : "s"}, ${distinct.size - owners.size} Account Admin${distinct.size - owners.size === 1 ? "" : "s"}; ${serviceAccounts.size} service account${serviceAccounts.size === 1 ? "" : "s"}, ${throughGroups.size || "none"} through a group. Each is admin on every namespace.</p>
<p><a href="#admins">Who they are</a></p></div>
<div class="card" id="summary-resources"><h3>What the sync holds</h3><table>${typeRows.join("\n")}</table></div>
</div>
</section>`;
    return { id: "summary", title: "Summary", html };
  }

  findings(): Section {
    const rows = this.model.findings.map((f) => {
      const target = f.target ? this.link(f.target) : "";
      const anchor = this.anchors.get(key(SECURITY_INSIGHT.id, f.resource.id!.resource));
      return row([{ html: `<span class="sev ${esc(f.severity)}">${esc(f.severity)}</span>`, sort: String(SEVERITY_RANK[f.severity] ?? 0) }, esc(f.resource.displayName), esc(f.kind), target], anchor);
    });
    const empty = rows.length === 0 ? `<p class="muted">No findings.</p>` : "";
    return dataSection("findings", "Findings", `<p class="muted">What looks wrong, most severe first. Each finding links to what it is about.</p>${empty}`, "t-findings", ["Severity", "Finding", "Kind", "About"], rows);
  }

  roles(): Section {
    const m = this.model;
    const roleRows = (m.byType.get(ACCOUNT_ROLE.id) ?? []).map((role) => {
      const holders = m.roleHolders.get(role.id!.resource) ?? [];
      const count = (type: string) => holders.filter((h) => h.type === type).length;
      const viaGroups = m.roleMembers(role.id!.resource).filter((h) => h.via.group).length;
      return row([esc(role.displayName), esc(role.description), num(count(USER.id)), num(count(SERVICE_ACCOUNT.id)), num(count(GROUP.id)), num(viaGroups)], this.anchors.get(key(ACCOUNT_ROLE.id, role.id!.resource)));
    });
    const adminRows = this.adminHolders().map((a) =>
      row([this.link(a.principal), esc(TYPE_LABEL[a.principal.type] ?? a.principal.type), esc(this.name({ type: ACCOUNT_ROLE.id, id: a.role })), a.via.group ? `through group ${this.link({ type: GROUP.id, id: a.via.group })}` : "direct"]),
    );
    const html = `<section id="roles">
<h2>Account roles <span class="count" data-count="t-roles">${roleRows.length}</span></h2>
${table("t-roles", ["Role", "What it allows", "Users", "Service accounts", "Groups", "Members through groups"], roleRows)}
<h3 id="admins">Owners and admins <span class="count" data-count="t-admins">${adminRows.length}</span></h3>
<p class="muted">They administer every namespace through their role, directly or as members of a group that holds it.</p>
${table("t-admins", ["Principal", "Type", "Role", "How"], adminRows)}
</section>`;
    return { id: "roles", title: "Account roles", html };
  }

  namespaces(): Section {
    const m = this.model;
    const summaryRows: string[] = [];
    const accessRows: string[] = [];
    for (const ns of m.byType.get(NAMESPACE.id) ?? []) {
      const id = ns.id!.resource;
      const access = m.namespaceAccess.get(id) ?? [];
      // Distinct principals per level: group members and inherited admins included.
      const levels = new Map<string, Set<string>>([["admin", new Set()], ["write", new Set()], ["read", new Set()]]);
      for (const a of access) for (const h of a.holders) levels.get(a.level)?.add(key(h.type, h.id));
      const region = typeof ns.profile?.active_region === "string" ? ns.profile.active_region : "";
      summaryRows.push(row([esc(ns.displayName), esc(region), esc(statusText(ns)), ...["admin", "write", "read"].map((l) => num(levels.get(l)!.size))], this.anchors.get(key(NAMESPACE.id, id))));
      const name = esc(ns.displayName || id);
      for (const a of access) {
        const count = { html: String(a.holders.length), num: true };
        if (a.way.kind === "inherited") {
          const role = this.link({ type: ACCOUNT_ROLE.id, id: a.way.role });
          accessRows.push(row([name, esc(a.level), `inherited from the ${role} role`, count, `every holder of the role: see <a href=#admins>Owners and admins</a>`]));
        } else {
          const how = a.way.kind === "group" ? `through group ${this.link({ type: GROUP.id, id: a.way.group })}` : "direct";
          // Names as plain text: a namespace's holders are thousands of names at 10,000 users.
          accessRows.push(row([name, esc(a.level), how, count, a.holders.map((h) => this.plainPrincipal(h)).join(", ")]));
        }
      }
    }
    const html = `<section id="namespaces">
<h2>Namespaces <span class="count" data-count="t-namespaces">${summaryRows.length}</span></h2>
<p class="muted">Principals per permission level, counting group members and the owners and admins who are admin everywhere.</p>
${table("t-namespaces", ["Namespace", "Region", "State", "Admin", "Write", "Read"], summaryRows)}
</section>
<section id="namespace-access" class="lazy">
<h2>Who holds each namespace, and how <span class="count" data-count="t-namespace-access">${accessRows.length}</span></h2>
<p class="muted">For each namespace and level: who holds it directly, through which group (its members), and the admin that the Account Owner and Account Admin roles inherit on every namespace.</p>
${table("t-namespace-access", ["Namespace", "Level", "How", "Holders", "Who"], accessRows)}
</section>`;
    return { id: "namespaces", title: "Namespaces", html };
  }

  /**
   * projects shows each project with its namespaces, then who holds each of its roles and how:
   * directly, through a group, or (Developer) inherited from the Account Developer role.
   */
  projects(): Section {
    const m = this.model;
    const namespacesOf = new Map<string, string[]>();
    for (const ns of m.byType.get(NAMESPACE.id) ?? []) {
      const project = ns.profile?.project_id;
      if (typeof project === "string") namespacesOf.set(project, [...(namespacesOf.get(project) ?? []), ns.displayName || ns.id!.resource]);
    }
    const summaryRows: string[] = [];
    const accessRows: string[] = [];
    for (const project of m.byType.get(PROJECT.id) ?? []) {
      const id = project.id!.resource;
      const access = m.projectAccess.get(id) ?? [];
      const principals = new Set(access.flatMap((a) => a.holders.map((h) => key(h.type, h.id))));
      const namespaces = (namespacesOf.get(id) ?? []).sort(compareText);
      summaryRows.push(row([esc(project.displayName || id), esc(project.description), esc(statusText(project)), namespaces.map(esc).join(", "), num(principals.size)], this.anchors.get(key(PROJECT.id, id))));
      const name = esc(project.displayName || id);
      for (const a of access) {
        const count = { html: String(a.holders.length), num: true };
        if (a.way.kind === "inherited") {
          accessRows.push(row([name, esc(a.level), `inherited from the ${this.link({ type: ACCOUNT_ROLE.id, id: a.way.role })} role`, count, "every holder of the role"]));
        } else {
          const how = a.way.kind === "group" ? `through group ${this.link({ type: GROUP.id, id: a.way.group })}` : "direct";
          accessRows.push(row([name, esc(a.level), how, count, a.holders.map((h) => this.plainPrincipal(h)).join(", ")]));
        }
      }
    }
    const html = `<section id="projects">
<h2>Projects <span class="count" data-count="t-projects">${summaryRows.length}</span></h2>
<p class="muted">Each project's namespaces, and how many principals hold a role in it, counting group members and the holders of the Account Developer role.</p>
${table("t-projects", ["Project", "Description", "State", "Namespaces", "Principals"], summaryRows)}
</section>
<section id="project-access" class="lazy">
<h2>Who holds each project, and how <span class="count" data-count="t-project-access">${accessRows.length}</span></h2>
<p class="muted">For each project and role: who holds it directly, through which group (its members), and the Developer role that the Account Developer role holds in every project.</p>
${table("t-project-access", ["Project", "Role", "How", "Holders", "Who"], accessRows)}
</section>`;
    return { id: "projects", title: "Projects", html };
  }

  users(): Section {
    const m = this.model;
    const rows = (m.byType.get(USER.id) ?? []).map((u) => {
      const ref = { type: USER.id, id: u.id!.resource };
      const groups = (m.userGroups.get(ref.id) ?? []).map((g) => this.link({ type: GROUP.id, id: g }));
      return row([esc(u.displayName || ref.id), esc(statusText(u)), this.heldRoles(ref), this.heldCustomRoles(ref), groups.join("<br>"), this.heldNamespaces(ref), this.keys(ref)], this.anchors.get(key(USER.id, ref.id)));
    });
    return dataSection("users", "Users", "", "t-users", ["User", "Status", "Account role", "Custom roles", "Groups", "Namespaces", "API keys"], rows, true);
  }

  serviceAccounts(): Section {
    const m = this.model;
    const rows = (m.byType.get(SERVICE_ACCOUNT.id) ?? []).map((s) => {
      const ref = { type: SERVICE_ACCOUNT.id, id: s.id!.resource };
      const scope =
        s.profile?.scope === "namespace"
          ? `namespace ${esc(String(s.profile.namespace ?? ""))}`
          : s.profile?.scope === "project"
            ? `project ${this.link({ type: PROJECT.id, id: String(s.profile.project_id ?? "") })}`
            : "account";
      return row([esc(s.displayName || ref.id), scope, this.heldRoles(ref), this.heldCustomRoles(ref), this.heldNamespaces(ref), this.keys(ref)], this.anchors.get(key(SERVICE_ACCOUNT.id, ref.id)));
    });
    return dataSection("service-accounts", "Service accounts", "", "t-service-accounts", ["Service account", "Scope", "Account role", "Custom roles", "Namespaces", "API keys"], rows, true);
  }

  groups(): Section {
    const m = this.model;
    const rows = (m.byType.get(GROUP.id) ?? []).map((g) => {
      const ref = { type: GROUP.id, id: g.id!.resource };
      const members = (m.groupMembers.get(ref.id) ?? []).map((u) => this.link({ type: USER.id, id: u }));
      const source = typeof g.profile?.source === "string" ? g.profile.source : "";
      return row([esc(g.displayName || ref.id), esc(source), { html: `${members.length}${members.length ? `: ${members.join(", ")}` : ""}`, sort: String(members.length) }, this.heldRoles(ref), this.heldCustomRoles(ref), this.heldNamespaces(ref)], this.anchors.get(key(GROUP.id, ref.id)));
    });
    return dataSection("groups", "Groups", `<p class="muted">Members hold everything their group holds.</p>`, "t-groups", ["Group", "Source", "Members", "Account role", "Custom roles", "Namespaces"], rows, true);
  }

  apiKeys(): Section {
    const rows = [...this.model.keys]
      .sort((a, b) => compareText(a.resource.displayName, b.resource.displayName))
      .map((k) =>
        row(
          [esc(k.resource.displayName || k.resource.id!.resource), k.owner ? this.principal(k.owner) : "", esc(k.status), k.createdAt ? day(k.createdAt) : "", k.expiresAt ? day(k.expiresAt) : "never"],
          this.anchors.get(key(API_KEY.id, k.resource.id!.resource)),
        ),
      );
    return dataSection("api-keys", "API keys", "", "t-api-keys", ["API key", "Owner", "Status", "Created", "Expires"], rows, true);
  }

  customRoles(): Section {
    const rows = (this.model.byType.get(CUSTOM_ROLE.id) ?? []).map((c) => row([esc(c.displayName), esc(c.description)], this.anchors.get(key(CUSTOM_ROLE.id, c.id!.resource))));
    return dataSection("custom-roles", "Custom roles", "", "t-custom-roles", ["Custom role", "Description"], rows);
  }

  /** adminHolders are the principals holding Owner or Admin, directly or through a group: owners first, then by name. */
  private adminHolders(): { principal: Ref; role: string; via: Via }[] {
    if (this.admins) return this.admins;
    const m = this.model;
    const holders: { principal: Ref; role: string; via: Via }[] = [];
    for (const slug of ["owner", "admin"]) {
      for (const role of m.byType.get(ACCOUNT_ROLE.id) ?? []) {
        const roleId = role.id!.resource;
        if (m.roleSlug(roleId) !== slug) continue;
        const members = m.roleMembers(roleId).map(({ principal, via }) => ({ principal, role: roleId, via }));
        holders.push(...members.sort((a, b) => compareText(this.name(a.principal), this.name(b.principal))));
      }
    }
    return (this.admins = holders);
  }
  private admins?: { principal: Ref; role: string; via: Via }[];

  private heldRoles(p: Ref): string {
    return this.model
      .rolesOf(p)
      .map((h) => `${esc(this.name({ type: ACCOUNT_ROLE.id, id: h.what }))}${this.through(h.via)}`)
      .join("<br>");
  }

  private heldCustomRoles(p: Ref): string {
    return this.model
      .customRolesOf(p)
      .map((h) => `${this.link({ type: CUSTOM_ROLE.id, id: h.what })}${this.through(h.via)}`)
      .join("<br>");
  }

  /**
   * heldNamespaces lists a principal's namespaces as one line per way it holds them ("admin
   * on every namespace", direct, then each group), each line by level: "write ns-1, ns-2; read
   * ns-3". Names without links keep the large tables small; the namespaces table is one search away.
   */
  private heldNamespaces(p: Ref): string {
    const lines = this.model.adminEverywhereVia(p).map((h) => `<b>admin on every namespace</b> <small>(${esc(this.name({ type: ACCOUNT_ROLE.id, id: h.what }))}${h.via.group ? ` through ${esc(this.name({ type: GROUP.id, id: h.via.group }))}` : ""})</small>`);
    const byWay = new Map<string, Map<string, string[]>>();
    for (const h of this.model.namespacesOf(p)) {
      const way = h.via.group ?? "";
      let levels = byWay.get(way);
      if (!levels) byWay.set(way, (levels = new Map()));
      const names = levels.get(h.what.level);
      const name = this.name({ type: NAMESPACE.id, id: h.what.namespace });
      if (names) names.push(name);
      else levels.set(h.what.level, [name]);
    }
    for (const [way, levels] of byWay) {
      const clauses = ["admin", "write", "read"].filter((l) => levels.has(l)).map((l) => `${l} ${levels.get(l)!.sort(compareText).map(esc).join(", ")}`);
      lines.push(`${clauses.join("; ")}${this.through(way ? { group: way } : {})}`);
    }
    return lines.join("<br>");
  }

  private keys(p: Ref): string {
    return this.model
      .keysOf(p)
      .map((k: KeyInfo) => `${esc(k.resource.displayName || k.resource.id!.resource)} <small>${k.status === "enabled" ? (k.expiresAt ? `expires ${day(k.expiresAt)}` : "never expires") : esc(k.status)}</small>`)
      .join("<br>");
  }

  /** through says that something is held through a group, if it is. */
  private through(via: Via): string {
    return via.group ? ` <small>(through ${esc(this.name({ type: GROUP.id, id: via.group }))})</small>` : "";
  }

  /** plainPrincipal names a principal as text, with its kind when it is not a user. */
  private plainPrincipal(ref: Ref): string {
    let label = TYPE_LABEL[ref.type];
    const scope = ref.type === SERVICE_ACCOUNT.id ? this.model.resources.get(key(ref.type, ref.id))?.profile?.scope : undefined;
    if (scope === "namespace" || scope === "project") label = `${scope}-scoped service account`;
    return `${esc(this.name(ref))}${label && ref.type !== USER.id ? ` <small>(${label})</small>` : ""}`;
  }

  /** principal renders a link to a principal with its type. */
  private principal(ref: Ref): string {
    const label = TYPE_LABEL[ref.type];
    return `${this.link(ref)}${label && ref.type !== USER.id ? ` <small>(${label})</small>` : ""}`;
  }

  private name(ref: Ref): string {
    const r = this.model.resources.get(key(ref.type, ref.id));
    return r?.displayName || ref.id;
  }

  /** link renders a resource's name, linking to its row when the report has one. */
  private link(ref: Ref): string {
    const anchor = this.anchors.get(key(ref.type, ref.id));
    const name = esc(this.name(ref));
    return anchor ? `<a href=#${anchor}>${name}</a>` : name;
  }
}

/**
 * dataSection is a section holding one filterable table. A lazy section is laid out only when
 * scrolled to (content-visibility): at 10,000 users that makes the page open three times faster.
 */
function dataSection(id: string, title: string, intro: string, tableId: string, headers: readonly string[], rows: readonly string[], lazy = false): Section {
  return {
    id,
    title,
    html: `<section id="${id}"${lazy ? ` class="lazy"` : ""}>
<h2>${esc(title)} <span class="count" data-count="${tableId}">${rows.length}</span></h2>
${intro}
${table(tableId, headers, rows)}
</section>`,
  };
}

/** table renders a filterable, sortable table; cells are HTML already escaped. */
function table(id: string, headers: readonly string[], rows: readonly string[]): string {
  return `<table class="data" id="${id}">
<thead><tr>${headers.map((h) => `<th scope="col"><button type="button">${esc(h)}</button>`).join("")}</thead>
<tbody>${rows.join("")}
</tbody>
</table>`;
}

/** Cell is a table cell: HTML already escaped, optionally a number or with its own sort key. */
type Cell = string | { html: string; num?: boolean; sort?: string };

/**
 * row renders one table row. Cells' closing tags are left out (HTML allows it): at 10,000 users
 * the report has tens of thousands of rows, and they are most of its size.
 */
function row(cells: readonly Cell[], anchor?: string): string {
  const tds = cells.map((c) => {
    if (typeof c === "string") return `<td>${c}`;
    return `<td${c.num ? " class=num" : ""}${c.sort !== undefined ? ` data-sort="${esc(c.sort)}"` : ""}>${c.html}`;
  });
  return `\n<tr${anchor ? ` id=${anchor}` : ""}>${tds.join("")}`;
}

/** num is a numeric cell. */
function num(n: number): Cell {
  return { html: String(n), num: true };
}

/** statusText says a resource's status for people. */
function statusText(r: Resource): string {
  switch (r.status?.status) {
    case Status_ResourceStatus.DISABLED:
      return r.status.details || "disabled";
    case Status_ResourceStatus.DELETED:
      return r.status.details || "deleted";
    default:
      return r.status?.details || "active";
  }
}

function accountIdOf(model: AccessModel): string {
  for (const r of model.byType.get(ACCOUNT_ROLE.id) ?? []) if (typeof r.profile?.account_id === "string") return r.profile.account_id;
  return "";
}

// A .c1z can hold any time (an expiry of 1e15 seconds): one a Date cannot hold shows as invalid.
const INVALID_DATE = "invalid date";

function day(date: Date): string {
  return Number.isNaN(date.getTime()) ? INVALID_DATE : date.toISOString().slice(0, 10);
}

function when(date: Date): string {
  return Number.isNaN(date.getTime()) ? INVALID_DATE : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** esc escapes text for HTML content and quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
