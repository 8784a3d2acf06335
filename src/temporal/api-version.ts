/** DEFAULT_API_VERSION is the temporal-cloud-api-version the connector sends unless configured otherwise. */
export const DEFAULT_API_VERSION = "v0.17.1";
