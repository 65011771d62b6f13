/** @multistore/testing: the shared backend contract, the S3 behaviour suite and test servers. */
export * from "./backend-contract.js";
export * from "./s3rver.js";
export { runS3BehaviourSuite } from "./behaviour/suite.js";
export { behaviourConfig, BUCKETS, fsNativeBuckets, startWorld, type GatewayTarget, type NativeBucket, type StartGateway, type World } from "./behaviour/setup.js";
export { errorCode, rawRequest, sdkClient, signedHeaders, signedRawRequest, type KeyPair, type RawResponse } from "./behaviour/clients.js";
export { startOidcIssuer, type MintOptions, type OidcIssuer } from "./oidc-issuer.js";
export * from "./clients/index.js";
export { startStsEndpoint, type StsEndpoint, type StsEndpointOptions, type StsExchange } from "./sts-endpoint.js";
export { startGcsTestServer, type GcsRecordedRequest, type GcsTestServer, type GcsTestServerOptions } from "./gcs-test-server.js";
export { startGoogleFederationEndpoint, type GoogleFederationEndpoint, type GoogleFederationEndpointOptions, type GoogleStsExchange } from "./google-federation-endpoint.js";
export { startAzurite, type AzuriteHandle, type AzuriteTlsOptions, type StartAzuriteOptions } from "./azurite.js";
export { startEntraEndpoint, type EntraEndpoint, type EntraEndpointOptions, type EntraExchange } from "./entra-endpoint.js";
export { upstreamConfigs, UPSTREAM_CONFIGS_DIR, type UpstreamConfig } from "./upstream-configs.js";
export { exerciseGatewayChain, type ChainTarget } from "./gateway-chain.js";
export { startCli, type CliProcess } from "./cli-process.js";
export { startRecordingOrigin, type RecordingOrigin } from "./recording-origin.js";
export { startRedisServer, type RedisServerHandle, type StartRedisServerOptions } from "./redis-server.js";
export { pathMappingConfig, runPathMappingClients, type PathMappingRuntime } from "./path-mapping-clients.js";
