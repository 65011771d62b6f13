/** The backends the Node server knows, by `backend_type`. */
import type { Readable } from "node:stream";
import { createAzureBackend } from "@multistore/backend-azure";
import { createFsBackend } from "@multistore/backend-fs";
import { createGcsBackend } from "@multistore/backend-gcs";
import { createS3Backend } from "@multistore/backend-s3";
import type { BackendFactory } from "@multistore/core";
import type { FederatedCredentials } from "@multistore/oidc-provider";
import type { Dispatcher } from "undici";

/**
 * Backend factories for the server. `dispatcher` is the connection pool for signed backend requests; `federation`
 * signs s3, gcs and az buckets with `auth_type = "oidc"` with federated credentials (gcs: V4 URLs through IAM
 * signBlob, or the federated token itself without a service account; az: user delegation SAS, and bearer tokens for
 * the SDK's own requests).
 */
export function nodeBackends(
  options: { dispatcher?: Dispatcher; userAgent?: string; federation?: FederatedCredentials } = {},
): Record<string, BackendFactory<Readable>> {
  return {
    s3: (bucket) =>
      createS3Backend({ ...(options.userAgent && { user_agent: options.userAgent }), ...bucket.backend_options } as never, {
        ...(options.dispatcher && { dispatcher: options.dispatcher }),
        ...(options.federation && bucket.backend_options.auth_type === "oidc" && { credentials: options.federation.awsCredentials(bucket) }),
      }) as never,
    fs: (bucket) => createFsBackend({ root: bucket.backend_options.root ?? "" }),
    az: (bucket) =>
      createAzureBackend(bucket.backend_options as never, {
        ...(options.federation &&
          bucket.backend_options.auth_type === "oidc" && {
            userDelegationKey: options.federation.azureUserDelegationKey(bucket),
            accessToken: options.federation.azureAccessToken(bucket),
          }),
      }) as never,
    gcs: (bucket) =>
      createGcsBackend(bucket.backend_options as never, {
        ...(options.federation &&
          bucket.backend_options.auth_type === "oidc" && {
            signBlob: options.federation.googleSignBlob(bucket),
            accessToken: options.federation.googleFederatedToken(bucket),
          }),
      }) as never,
  };
}
