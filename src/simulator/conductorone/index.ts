export { createTestClient, type TestClient } from "./client-keys.js";
export {
  startConductorOneSimulator,
  type CallRecord,
  type ConductorOneSimulator,
  type ConductorOneSimulatorOptions,
  type ConductorOneSimulatorSettings,
  type TaskRecord,
  type TokenRequestRecord,
  type UploadRecord,
} from "./simulator.js";
export { createTestPki, type TestPki } from "./test-pki.js";
