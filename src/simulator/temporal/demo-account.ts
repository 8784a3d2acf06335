import { createHash } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  AccessSchema,
  AccountAccess_Role as Role,
  ApiKeySchema,
  CustomRoleSchema,
  NamespaceAccess_Permission as Permission,
  OwnerType,
  ProjectAccess_ProjectRole as ProjectRole,
  ServiceAccountSchema,
  UserGroupSchema,
  UserSchema,
  type ApiKey,
  type CustomRole,
  type ServiceAccount,
  type User,
  type UserGroup,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";
import {
  NamespaceSchema,
  Replica_ReplicaState,
  type Namespace,
} from "../../gen/temporal/api/cloud/namespace/v1/message_pb.js";
import { ProjectSchema, type Project } from "../../gen/temporal/api/cloud/project/v1/message_pb.js";
import { ResourceState } from "../../gen/temporal/api/cloud/resource/v1/message_pb.js";
import type { AccountData } from "./account-data.js";

/** DEMO_ACCOUNT_ID is the id of the demo account. */
export const DEMO_ACCOUNT_ID = "acme7";

/**
 * DEMO_API_KEY is the bearer secret of the demo account's "baton-connector" API key, which
 * belongs to the account-scoped ADMIN service account "baton-connector".
 */
export const DEMO_API_KEY = "tcsim-demo-baton-connector-6f1d2c9e8a7b4c3d";

/**
 * DEMO_API_KEYS are the bearer secrets of every demo API key, for tests that act as another
 * principal. The payments-worker key is expired and the metrics-old key disabled, so both are
 * refused with 401.
 */
export const DEMO_API_KEYS = {
  batonConnector: DEMO_API_KEY,
  aliceLaptop: "tcsim-demo-alice-laptop-0c4e8f1a2b3d5e6f",
  carolCli: "tcsim-demo-carol-cli-7d2e9a4b1c6f3e8d",
  ciDeployerProd: "tcsim-demo-ci-deployer-prod-3b8c1d7e5f2a9c4e",
  paymentsWorker2025: "tcsim-demo-payments-worker-2025-expired-9e1f",
  metricsOld: "tcsim-demo-metrics-old-disabled-5a7c",
} as const;

/**
 * DEMO_IDS are the stable ids of everything in the demo account.
 */
export const DEMO_IDS = {
  namespaces: {
    paymentsProd: "payments-prod.acme7",
    paymentsDev: "payments-dev.acme7",
    ordersProd: "orders-prod.acme7",
    analytics: "analytics.acme7",
  },
  users: {
    alice: "a11ce0d1e5e84c4f9b6a2d7e3f10a001",
    bob: "b0b7c2e9a4d14f6b8e3a5c1d9f20b002",
    carol: "ca201f3e8b7d4a2c9e6f1b5d3a40c003",
    dave: "da7e5b1c9f3e4d8a2b6c7e1f0a50d004",
    erin: "e2140c6d8a1f4b3e9c5d2a7f6b60e005",
    frank: "f2a4c8e1d5b34f9a6c2e7b1d3f70f006",
    grace: "92ace7d3b1f54e8c6a9d2b4e1c80a007",
    heidi: "4e1d1a7c3b9f4e2d8a6c5b1e9f90b008",
    ivan: "1fa9e3c7d2b84a6e5c1f9d3b7a00c009",
    judy: "1ddb5e2a8c7f4d3b9e6a1c4f2b10d010",
  },
  serviceAccounts: {
    ciDeployer: "5a01c1de9b7e4f3a8d2c6e1b5f00a201",
    batonConnector: "5a02ba70c4e14d8b9f3a7c2e6d10b202",
    metricsExporter: "5a03e7c2a1d94b6f8e5c3a9d7b20c203",
    paymentsWorker: "5a04fa11c3b84e2d9a6f1c7e5b30d204",
    analyticsReader: "5a05a7a1d2c64f9e8b3d5a1c7e40e205",
    legacyBatch: "5a06e9ac7b1d4c3f8a5e2d6b9c50f206",
    unnamed: "9b3f6e1c8d2a4b7e9f5c1a3d6e70a207",
    deployBot: "5a07de9b07c34e1f8a2d6c9e4b60a208",
    /** Project-scoped (API v0.18.0): Admin of the payments project, hidden from older API versions. */
    paymentsDeployer: "5a08fa1de910a4c7b8e2d5f3a6c1b209",
  },
  /** Projects (API v0.18.0): namespaces belong to one each. */
  projects: {
    default: "b7a0de7a01c54e2f9a8b3c6d1e5f0601",
    payments: "b7a1fa11e2d34c5b8a9f1e6d3c7b0602",
    data: "b7a2da7ac3e44b6a9f2d5c8e1a3b0603",
  },
  /** Users no longer in the account: an API key still names one as its owner. */
  removedUsers: {
    contractor: "0de1e7ed5c4b4a3e9f8d2c6b1a90e011",
  },
  groups: {
    platformEngineering: "6e01d1a9f3c24b7e8a5d2c6f1b00a301",
    sreOnCall: "6e02c5e7a1b94d3f8c6e2a9d4b10b302",
    dataAnalysts: "6e03da7a9b2e4c1f8d5a3e7c6b20c303",
    finance: "6e04f1a7c3d84e2b9a6c5d1e8f30d304",
    admins: "6e05ad31c7e24f9b8d3a6c1e5b40e305",
  },
  customRoles: {
    deployApprover: "c1de9107a99f4e0b8d3c5a7e1f20a101",
    incidentResponder: "c21c1de47e5f4b6a9d8c3e2f1a30b102",
    billingViewer: "c3b1111a9c4e4d7f8a2b6e5d3c40c103",
  },
  apiKeys: {
    aliceLaptop: "7a01a11ce4b2c8d9e3f5a6b1c7d0a401",
    carolCli: "7a02ca2013c9d7e1f5b4a8c6e2d1b402",
    ciDeployerProd: "7a03c1de5d8e2f4a9b7c1e3d6a20c403",
    batonConnector: "7a04ba7019f3e6c2d8a5b4e7c1f0d404",
    paymentsWorker2025: "7a05fa11e2d4c6b8a1e3f5c7d9b0e405",
    metricsOld: "7a06e7c0a5b3d1f9e7c2a4b6d8f0f406",
    contractorExport: "7a07c0a7e1d54b9c8f2e6a3d1b70a407",
  },
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const { namespaces: NS, users: U, serviceAccounts: SA, groups: G, customRoles: CR, apiKeys: K, removedUsers: REMOVED, projects: P } = DEMO_IDS;

function at(iso: string): Timestamp {
  return timestampFromDate(new Date(iso));
}

// version gives every demo resource a stable, opaque resourceVersion.
function version(id: string): string {
  return createHash("sha256").update(`demo:${id}`).digest("hex").slice(0, 16);
}

function access(
  role: Role,
  namespaces: Record<string, Permission> = {},
  customRoles: string[] = [],
  projects: Record<string, ProjectRole> = {},
): MessageInitShape<typeof AccessSchema> {
  return {
    accountAccess: { role, customRoles },
    namespaceAccesses: Object.fromEntries(Object.entries(namespaces).map(([ns, permission]) => [ns, { permission }])),
    projectAccesses: Object.fromEntries(Object.entries(projects).map(([project, role]) => [project, { role }])),
  };
}

function namespace(
  name: string,
  created: string,
  region: string,
  grpcHost: string,
  tags: Record<string, string>,
  projectId: string,
  standbyRegion?: string,
): Namespace {
  const id = `${name}.${DEMO_ACCOUNT_ID}`;
  const replicas = [{ id: `${id}-${region}`, isPrimary: true, state: Replica_ReplicaState.ACTIVE, region }];
  if (standbyRegion !== undefined) {
    replicas.push({ id: `${id}-${standbyRegion}`, isPrimary: false, state: Replica_ReplicaState.ACTIVE, region: standbyRegion });
  }
  return create(NamespaceSchema, {
    namespace: id,
    resourceVersion: version(id),
    spec: { name },
    state: ResourceState.ACTIVE,
    endpoints: {
      webAddress: `https://cloud.temporal.io/namespaces/${id}`,
      mtlsGrpcAddress: `${id}.tmprl.cloud:7233`,
      grpcAddress: `${grpcHost}:7233`,
    },
    activeRegion: region,
    createdTime: at(created),
    tags,
    replicas,
    projectId,
  });
}

function project(id: string, displayName: string, description: string, created: string, deleteProtection: boolean): Project {
  return create(ProjectSchema, {
    id,
    resourceVersion: version(id),
    spec: { displayName, description, lifecycle: { enableDeleteProtection: deleteProtection } },
    state: ResourceState.ACTIVE,
    createdTime: at(created),
  });
}

function user(init: MessageInitShape<typeof UserSchema> & { id: string }): User {
  return create(UserSchema, { resourceVersion: version(init.id), state: ResourceState.ACTIVE, ...init });
}

function serviceAccount(init: MessageInitShape<typeof ServiceAccountSchema> & { id: string }): ServiceAccount {
  return create(ServiceAccountSchema, { resourceVersion: version(init.id), state: ResourceState.ACTIVE, ...init });
}

function group(init: MessageInitShape<typeof UserGroupSchema> & { id: string }): UserGroup {
  return create(UserGroupSchema, { resourceVersion: version(init.id), state: ResourceState.ACTIVE, ...init });
}

function customRole(init: MessageInitShape<typeof CustomRoleSchema> & { id: string }): CustomRole {
  return create(CustomRoleSchema, { resourceVersion: version(init.id), state: ResourceState.ACTIVE, ...init });
}

function apiKey(init: MessageInitShape<typeof ApiKeySchema> & { id: string }): ApiKey {
  return create(ApiKeySchema, { resourceVersion: version(init.id), state: ResourceState.ACTIVE, ...init });
}

/**
 * createDemoAccount builds the hand-written demo account "acme7": four namespaces, ten users
 * covering every account role (an owner, a pending and an expired invitation, a SCIM user
 * without a role), eight service accounts (two namespace-scoped, one without a name, two
 * admins), one group of each type plus two Cloud groups, three custom roles and seven API keys
 * (one expired, one disabled, one whose owner was removed). It holds at least one case of every
 * security-insight finding (insight-rules.ts). Everything is fixed except what is relative to
 * `now` (default: the current time): the pending invitation, the short-lived API keys and the
 * expiry of the active ones. Three projects (API v0.18.0) hold the namespaces; users, groups and
 * service accounts hold project roles, and a ninth service account is scoped to the payments
 * project: clients of older API versions see none of it.
 */
export function createDemoAccount(options: { now?: Date } = {}): AccountData {
  const now = (options.now ?? new Date()).getTime();
  const fromNow = (days: number) => timestampFromMs(now + days * DAY_MS);

  const namespaces = [
    namespace("payments-prod", "2024-03-12T09:30:00Z", "aws-us-east-1", "us-east-1.aws.api.temporal.io", { team: "payments", env: "prod" }, P.payments, "aws-us-west-2"),
    namespace("payments-dev", "2024-03-12T10:05:00Z", "aws-us-east-1", "us-east-1.aws.api.temporal.io", { team: "payments", env: "dev" }, P.payments),
    namespace("orders-prod", "2024-06-03T14:20:00Z", "gcp-us-central1", "us-central1.gcp.api.temporal.io", { team: "orders", env: "prod" }, P.default),
    namespace("analytics", "2025-02-18T11:00:00Z", "aws-eu-west-1", "eu-west-1.aws.api.temporal.io", { team: "data" }, P.data),
  ];

  // Every namespace is in a project; the account's default project holds those made without one.
  const projects = [
    project(P.default, "Default", "Namespaces created without a project", "2024-03-01T08:00:00Z", false),
    project(P.payments, "Payments", "Payment processing, production and development", "2026-07-20T09:00:00Z", true),
    project(P.data, "Data", "Analytics and reporting", "2026-07-21T14:30:00Z", false),
  ];

  const users = [
    user({
      id: U.alice,
      spec: { email: "alice@acme.example", access: access(Role.OWNER) },
      createdTime: at("2024-03-01T08:00:00Z"),
    }),
    user({
      id: U.bob,
      spec: { email: "bob@acme.example", access: access(Role.ADMIN) },
      createdTime: at("2024-03-04T09:15:00Z"),
      lastModifiedTime: at("2024-09-10T16:40:00Z"),
    }),
    user({
      id: U.carol,
      spec: {
        email: "carol@acme.example",
        access: access(
          Role.DEVELOPER,
          { [NS.paymentsProd]: Permission.WRITE, [NS.paymentsDev]: Permission.ADMIN },
          [CR.deployApprover],
          { [P.payments]: ProjectRole.WRITE },
        ),
      },
      createdTime: at("2024-03-18T10:00:00Z"),
      lastModifiedTime: at("2025-04-22T13:05:00Z"),
    }),
    user({
      id: U.dave,
      spec: {
        email: "dave@acme.example",
        access: access(Role.READ, { [NS.ordersProd]: Permission.READ, [NS.analytics]: Permission.WRITE }, [], { [P.data]: ProjectRole.READ }),
      },
      createdTime: at("2024-06-10T12:30:00Z"),
      lastModifiedTime: at("2025-02-20T09:00:00Z"),
    }),
    user({
      id: U.erin,
      spec: { email: "erin@acme.example", access: access(Role.FINANCE_ADMIN) },
      createdTime: at("2024-04-02T15:45:00Z"),
    }),
    user({
      id: U.frank,
      spec: { email: "frank@acme.example", access: access(Role.METRICS_READ, {}, [], { [P.data]: ProjectRole.LIST }) },
      createdTime: at("2024-11-05T08:20:00Z"),
    }),
    user({
      // An open invitation: it was sent just now and expires in 7 days.
      id: U.grace,
      spec: { email: "grace@acme.example", access: access(Role.DEVELOPER, { [NS.paymentsDev]: Permission.WRITE }) },
      createdTime: timestampFromMs(now),
      invitation: { createdTime: timestampFromMs(now), expiredTime: fromNow(7) },
    }),
    user({
      // An invitation nobody accepted: it expired on 2025-01-15, and still grants read on orders-prod.
      id: U.heidi,
      spec: { email: "heidi@acme.example", access: access(Role.READ, { [NS.ordersProd]: Permission.READ }) },
      createdTime: at("2025-01-08T10:00:00Z"),
      invitation: { createdTime: at("2025-01-08T10:00:00Z"), expiredTime: at("2025-01-15T10:00:00Z") },
    }),
    user({
      // Provisioned over SCIM: no account role, access only through the "SRE On-Call" group.
      id: U.ivan,
      spec: { email: "ivan@acme.example", access: access(Role.UNSPECIFIED) },
      createdTime: at("2025-04-02T07:10:00Z"),
    }),
    user({
      id: U.judy,
      spec: { email: "judy@acme.example", access: access(Role.DEVELOPER, {}, [CR.incidentResponder], { [P.payments]: ProjectRole.CONTRIBUTE }) },
      createdTime: at("2025-04-02T07:10:00Z"),
      lastModifiedTime: at("2025-05-14T18:30:00Z"),
    }),
  ];

  const serviceAccounts = [
    serviceAccount({
      id: SA.ciDeployer,
      spec: {
        name: "ci-deployer",
        description: "Deploys workers from CI",
        access: access(
          Role.DEVELOPER,
          { [NS.paymentsProd]: Permission.WRITE, [NS.ordersProd]: Permission.WRITE },
          [CR.deployApprover],
          { [P.payments]: ProjectRole.WRITE },
        ),
      },
      createdTime: at("2024-04-10T11:00:00Z"),
      lastModifiedTime: at("2025-04-22T13:10:00Z"),
    }),
    serviceAccount({
      id: SA.batonConnector,
      spec: { name: "baton-connector", description: "ConductorOne access reviews", access: access(Role.ADMIN) },
      createdTime: at("2025-05-20T09:00:00Z"),
    }),
    serviceAccount({
      id: SA.metricsExporter,
      spec: { name: "metrics-exporter", description: "Prometheus scraper", access: access(Role.METRICS_READ) },
      createdTime: at("2024-05-02T13:30:00Z"),
    }),
    serviceAccount({
      id: SA.paymentsWorker,
      spec: {
        name: "payments-worker",
        description: "Payments workers",
        namespaceScopedAccess: { namespace: NS.paymentsProd, access: { permission: Permission.WRITE } },
      },
      createdTime: at("2024-07-15T16:00:00Z"),
    }),
    serviceAccount({
      id: SA.analyticsReader,
      spec: {
        name: "analytics-reader",
        namespaceScopedAccess: { namespace: NS.analytics, access: { permission: Permission.READ } },
      },
      createdTime: at("2025-03-01T10:45:00Z"),
    }),
    serviceAccount({
      id: SA.legacyBatch,
      spec: { name: "legacy-batch", description: "Nightly batch jobs (to be retired)", access: access(Role.READ, {}, [], { [P.default]: ProjectRole.MEMBER }) },
      createdTime: at("2024-03-20T22:00:00Z"),
    }),
    serviceAccount({
      // No name: clients must fall back to the id when displaying it.
      id: SA.unnamed,
      spec: { name: "", description: "Created before service account names were required", access: access(Role.READ) },
      createdTime: at("2024-03-15T12:00:00Z"),
    }),
    serviceAccount({
      // Made an admin "for a quick fix" and left so: the finding the access report leads with.
      id: SA.deployBot,
      spec: { name: "deploy-bot", description: "Deploys from the release pipeline", access: access(Role.ADMIN) },
      createdTime: at("2025-08-11T15:20:00Z"),
    }),
    serviceAccount({
      // Scoped to the payments project, whose Admin it is: a finding as much as an admin service account.
      id: SA.paymentsDeployer,
      spec: {
        name: "payments-deployer",
        description: "Deploys the payments namespaces",
        projectScopedAccess: { projectId: P.payments, access: { role: ProjectRole.ADMIN }, namespaceAccesses: { [NS.paymentsDev]: { permission: Permission.WRITE } } },
      },
      createdTime: at("2026-07-22T10:00:00Z"),
    }),
  ];

  const groups = [
    group({
      id: G.platformEngineering,
      spec: {
        displayName: "Platform Engineering",
        access: access(Role.DEVELOPER, { [NS.paymentsDev]: Permission.WRITE, [NS.ordersProd]: Permission.READ }, [], { [P.default]: ProjectRole.MEMBER }),
        groupType: { case: "googleGroup", value: { emailAddress: "platform-eng@acme.example" } },
      },
      createdTime: at("2024-05-06T09:00:00Z"),
    }),
    group({
      id: G.sreOnCall,
      spec: {
        displayName: "SRE On-Call",
        access: access(
          Role.READ,
          { [NS.paymentsProd]: Permission.ADMIN, [NS.ordersProd]: Permission.ADMIN },
          [CR.incidentResponder],
          { [P.payments]: ProjectRole.ADMIN },
        ),
        groupType: { case: "scimGroup", value: { idpId: "00g1sreoncall" } },
      },
      createdTime: at("2025-04-01T17:00:00Z"),
    }),
    group({
      id: G.dataAnalysts,
      spec: {
        displayName: "Data Analysts",
        access: access(Role.READ, { [NS.analytics]: Permission.WRITE }, [], { [P.data]: ProjectRole.WRITE }),
        groupType: { case: "cloudGroup", value: {} },
      },
      createdTime: at("2025-02-19T10:00:00Z"),
    }),
    group({
      id: G.finance,
      spec: { displayName: "Finance", access: access(Role.UNSPECIFIED), groupType: { case: "cloudGroup", value: {} } },
      createdTime: at("2024-04-02T15:30:00Z"),
    }),
    group({
      id: G.admins,
      spec: { displayName: "Admins", access: access(Role.ADMIN), groupType: { case: "cloudGroup", value: {} } },
      createdTime: at("2024-03-01T08:30:00Z"),
    }),
  ];

  const groupMembers = new Map<string, string[]>([
    [G.platformEngineering, [U.carol, U.dave]],
    [G.sreOnCall, [U.ivan, U.judy]],
    [G.dataAnalysts, [U.dave, U.frank, U.heidi]],
    [G.finance, [U.erin]],
    [G.admins, []],
  ]);

  const customRoles = [
    customRole({
      id: CR.deployApprover,
      spec: {
        name: "deploy-approver",
        description: "Approves deployments to the payments namespaces",
        permissions: [
          {
            resources: { resourceType: "namespace", resourceIds: [NS.paymentsProd, NS.paymentsDev] },
            actions: ["cloud.namespace.get", "cloud.namespace.update"],
          },
        ],
      },
      createdTime: at("2025-04-22T12:50:00Z"),
    }),
    customRole({
      id: CR.incidentResponder,
      spec: {
        name: "incident-responder",
        description: "Reads audit logs and every namespace during incidents",
        permissions: [
          { resources: { resourceType: "account", allowAll: true }, actions: ["cloud.auditlog.list"] },
          { resources: { resourceType: "namespace", allowAll: true }, actions: ["cloud.namespace.get"] },
        ],
      },
      createdTime: at("2025-05-14T18:00:00Z"),
    }),
    customRole({
      id: CR.billingViewer,
      spec: {
        name: "billing-viewer",
        description: "Views the account and its usage (not assigned to anyone)",
        permissions: [
          { resources: { resourceType: "account", allowAll: true }, actions: ["cloud.account.get", "cloud.usage.get"] },
        ],
      },
      createdTime: at("2025-06-02T09:00:00Z"),
    }),
  ];

  const apiKeys = [
    apiKey({
      id: K.aliceLaptop,
      spec: { ownerId: U.alice, ownerType: OwnerType.USER, displayName: "alice-laptop", expiryTime: fromNow(180) },
      createdTime: at("2025-02-10T08:00:00Z"),
    }),
    apiKey({
      id: K.carolCli,
      spec: {
        ownerId: U.carol,
        ownerType: OwnerType.USER,
        displayName: "carol-cli",
        description: "tcld on carol's workstation",
        expiryTime: fromNow(30),
      },
      // Short-lived: made 20 days ago, valid for 50 days.
      createdTime: fromNow(-20),
    }),
    apiKey({
      id: K.ciDeployerProd,
      spec: {
        ownerId: SA.ciDeployer,
        ownerType: OwnerType.SERVICE_ACCOUNT,
        displayName: "ci-deployer-prod",
        expiryTime: fromNow(365),
      },
      createdTime: at("2025-01-05T10:00:00Z"),
    }),
    apiKey({
      id: K.batonConnector,
      spec: {
        ownerId: SA.batonConnector,
        ownerType: OwnerType.SERVICE_ACCOUNT,
        displayName: "baton-connector",
        description: "Used by the baton connector",
        expiryTime: fromNow(365),
      },
      createdTime: at("2025-05-20T09:05:00Z"),
    }),
    apiKey({
      // Expired: reads as RESOURCE_STATE_EXPIRED and no longer authenticates.
      id: K.paymentsWorker2025,
      spec: {
        ownerId: SA.paymentsWorker,
        ownerType: OwnerType.SERVICE_ACCOUNT,
        displayName: "payments-worker-2025",
        expiryTime: at("2025-06-30T00:00:00Z"),
      },
      createdTime: at("2024-07-15T16:05:00Z"),
    }),
    apiKey({
      id: K.metricsOld,
      spec: {
        ownerId: SA.metricsExporter,
        ownerType: OwnerType.SERVICE_ACCOUNT,
        displayName: "metrics-old",
        description: "Replaced; kept disabled",
        expiryTime: fromNow(60),
        disabled: true,
      },
      createdTime: at("2024-05-02T13:35:00Z"),
      lastModifiedTime: at("2025-03-03T09:00:00Z"),
    }),
    apiKey({
      // Its owner, a contractor, was removed from the account; the key still works.
      id: K.contractorExport,
      spec: {
        ownerId: REMOVED.contractor,
        ownerType: OwnerType.USER,
        displayName: "contractor-export",
        description: "Nightly export, set up by a contractor",
        expiryTime: fromNow(40),
      },
      createdTime: fromNow(-20),
    }),
  ];

  const apiKeySecrets = new Map<string, string>([
    [DEMO_API_KEYS.batonConnector, K.batonConnector],
    [DEMO_API_KEYS.aliceLaptop, K.aliceLaptop],
    [DEMO_API_KEYS.carolCli, K.carolCli],
    [DEMO_API_KEYS.ciDeployerProd, K.ciDeployerProd],
    [DEMO_API_KEYS.paymentsWorker2025, K.paymentsWorker2025],
    [DEMO_API_KEYS.metricsOld, K.metricsOld],
  ]);

  return {
    accountId: DEMO_ACCOUNT_ID,
    users,
    serviceAccounts,
    groups,
    groupMembers,
    namespaces,
    customRoles,
    apiKeys,
    apiKeySecrets,
    projects,
  };
}
