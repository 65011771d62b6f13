/** The backends the Node server knows, by `backend_type`. */
import type { Readable } from "node:stream";
import { createAzureBackend } from "@multistore/backend-azure";
import { createFsBackend } from "@multistore/backend-fs";
import { createGcsBackend } from "@multistore/backend-gcs";
import { createS3Backend } from "@multistore/backend-s3";
import type { BackendFactory, BucketConfig } from "@multistore/core";
import type { FederatedCredentials } from "@multistore/oidc-provider";
import type { Dispatcher } from "undici";

/**
 * Backend factories for the server. `dispatcher` is the connection pool for signed backend requests (or, given a
 * function, each bucket's own); `federation`
 * signs s3, gcs and az buckets with `auth_type = "oidc"` with federated credentials (gcs: V4 URLs through IAM
 * signBlob, or the federated token itself without a service account; az: user delegation SAS, and bearer tokens for
 * the SDK's own requests).
 */
export function nodeBackends(
  options: { dispatcher?: Dispatcher | ((bucket: BucketConfig) => Dispatcher); federation?: FederatedCredentials } = {},
): Record<string, BackendFactory<Readable>> {
  /** The bucket's own pool when the server gives each bucket one. */
  const dispatcherOf = (bucket: BucketConfig) => (typeof options.dispatcher === "function" ? options.dispatcher(bucket) : options.dispatcher);
  /** The federation, for buckets that use it. */
  const federated = (bucket: BucketConfig) => (bucket.backend_options.auth_type === "oidc" ? options.federation : undefined);
  return {
    s3: (bucket) => {
      const federation = federated(bucket);
      const dispatcher = dispatcherOf(bucket);
      return createS3Backend(bucket.backend_options, {
        ...(dispatcher && { dispatcher }),
        ...(federation && { credentials: federation.awsCredentials(bucket) }),
      }) as never;
    },
    fs: (bucket) => createFsBackend({ ...bucket.backend_options, root: bucket.backend_options.root ?? "" }),
    az: (bucket) => {
      const federation = federated(bucket);
      return createAzureBackend(bucket.backend_options, {
        ...(federation && { userDelegationKey: federation.azureUserDelegationKey(bucket), accessToken: federation.azureAccessToken(bucket) }),
      }) as never;
    },
    gcs: (bucket) => {
      const federation = federated(bucket);
      return createGcsBackend(bucket.backend_options, {
        ...(federation && { signBlob: federation.googleSignBlob(bucket), accessToken: federation.googleFederatedToken(bucket) }),
      }) as never;
    },
  };
}
