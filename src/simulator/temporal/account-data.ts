import type { Namespace } from "../../gen/temporal/api/cloud/namespace/v1/message_pb.js";
import type { Project } from "../../gen/temporal/api/cloud/project/v1/message_pb.js";
import type {
  ApiKey,
  CustomRole,
  ServiceAccount,
  User,
  UserGroup,
} from "../../gen/temporal/api/cloud/identity/v1/message_pb.js";

/**
 * AccountData is the complete content of one simulated Temporal Cloud account: what
 * createDemoAccount and generateAccount build and what startSimulator loads into its store.
 *
 * Messages are protobuf-es messages exactly as the API returns them (ids, resource versions,
 * states and timestamps filled in). The store clones them, so one AccountData may seed
 * several simulators.
 */
export interface AccountData {
  /** Short account id; namespace ids end in `.<accountId>`. */
  accountId: string;
  users: User[];
  serviceAccounts: ServiceAccount[];
  groups: UserGroup[];
  /** Members of each group: group id → user ids. */
  groupMembers: Map<string, string[]>;
  namespaces: Namespace[];
  customRoles: CustomRole[];
  apiKeys: ApiKey[];
  /** Projects (API v0.18.0); namespaces name theirs in `projectId`. None when left out. */
  projects?: Project[];
  /** Bearer secrets accepted for authentication: secret → id of the API key it belongs to. */
  apiKeySecrets: Map<string, string>;
}
