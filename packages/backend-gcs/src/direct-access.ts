/**
 * Direct resource access of workload identity federation: no service account, no signature. The federated access
 * token from Google STS is the credential of every request (`Authorization: Bearer`), and IAM roles on the bucket
 * are granted to the federated principal (`principal://iam.googleapis.com/...`) itself.
 */
import { isS3Error, S3Error } from "@multistore/core";
import type { GcsBackendOptions } from "./options.js";
import type { FederatedAccessToken, FederatedAccessTokenProvider } from "./transport.js";

const TOKEN_FAILED = "Getting the federated access token failed.";

/**
 * The `Authorization` value of one request, from a fresh call of the provider (it caches and renews; asking per
 * request means a renewed token is used at once). Failures are 503s: an S3Error of the federation (which names
 * the bucket and the failing step) unchanged, anything else with its cause kept. The token is never in a message.
 */
export async function bearerAuthorization(provider: FederatedAccessTokenProvider): Promise<string> {
  let token: FederatedAccessToken;
  try {
    token = await provider();
  } catch (error) {
    if (isS3Error(error)) throw error;
    throw new S3Error("ServiceUnavailable", { message: TOKEN_FAILED, cause: error });
  }
  const value: unknown = token?.accessToken;
  // A header value with control characters or spaces would be refused by fetch or split into another header.
  if (typeof value !== "string" || !/^[\x21-\x7e]+$/.test(value)) {
    throw new S3Error("ServiceUnavailable", { message: TOKEN_FAILED, cause: new Error("the access token provider returned no usable token") });
  }
  return `Bearer ${value}`;
}

/**
 * What identifies the federated principal in `copyDomain`: buckets of one endpoint copy between each other only
 * when the same identity (workload identity provider and subject, as `@multistore/oidc-provider` reads them) acts
 * on both, since the copy runs with the destination bucket's token.
 */
export function federatedIdentity(options: GcsBackendOptions): string {
  // The federation's default subject: an unset oidc_subject and "s3-proxy" are one identity.
  return ["federated", options.workload_identity_provider, options.oidc_subject || "s3-proxy"].filter(Boolean).join(":");
}
