// c1 re-exports the generated c1.connector.v2 package as one module, so that code depends on the
// protocol's names rather than on how its .proto files happen to be split.
export * from "../gen/c1/connector/v2/account_pb.js";
export * from "../gen/c1/connector/v2/action_pb.js";
export * from "../gen/c1/connector/v2/annotation_etag_pb.js";
export * from "../gen/c1/connector/v2/annotation_provisioning_pb.js";
export * from "../gen/c1/connector/v2/annotation_ratelimit_pb.js";
export * from "../gen/c1/connector/v2/annotation_security_insight_pb.js";
export * from "../gen/c1/connector/v2/annotation_source_cache_pb.js";
export * from "../gen/c1/connector/v2/annotation_sync_pb.js";
export * from "../gen/c1/connector/v2/annotation_trait_pb.js";
export * from "../gen/c1/connector/v2/annotation_vendor_pb.js";
export * from "../gen/c1/connector/v2/asset_pb.js";
export * from "../gen/c1/connector/v2/connector_pb.js";
export * from "../gen/c1/connector/v2/entitlement_pb.js";
export * from "../gen/c1/connector/v2/event_feed_pb.js";
export * from "../gen/c1/connector/v2/grant_pb.js";
export * from "../gen/c1/connector/v2/resource_pb.js";
export * from "../gen/c1/connector/v2/ticket_pb.js";
