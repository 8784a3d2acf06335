// Public surface of the Temporal Cloud simulator: the server, its datasets and the types
// tests use to drive it.
export { startSimulator, ROUTES } from "./simulator.js";
export type { InjectedError, SimulatedRequest, Simulator, SimulatorOptions } from "./simulator.js";
export type { FaultOptions } from "./fault-injector.js";
export type { OperationOutcome, OperationOutcomeState } from "./async-operations.js";
export type { AuditLog, AuditPrincipal } from "./audit-log.js";
export type { ChaosEdit } from "./chaos.js";
export type { SimulatorStats } from "./simulator-stats.js";
export { STATS_PATH, statsJson } from "./stats-route.js";
export type { SimulatorStatsJson } from "./stats-route.js";
export type { PrincipalKind, ResourceKind, SimulatorStore, UpdateOptions } from "./simulator-store.js";
export type { AccountData } from "./account-data.js";
export { createDemoAccount, DEMO_ACCOUNT_ID, DEMO_API_KEY, DEMO_API_KEYS, DEMO_IDS } from "./demo-account.js";
export { generateAccount } from "./generate-account.js";
export type { GenerateAccountOptions, GeneratedAccount } from "./generate-account.js";
export { Code } from "./api-error.js";
