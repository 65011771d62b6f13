/**
 * Federated backend credentials: for a bucket with `backend_options.auth_type = "oidc"`, the proxy mints a token for
 * itself and exchanges it at the cloud's STS; the result is cached per (backend identity, subject) and renewed in the
 * background before it expires. Failures become `503 ServiceUnavailable` S3 errors that name the bucket and the
 * failing step; the cause goes to `onError`.
 */
import { isS3Error, S3Error, type BucketConfig } from "@multistore/core";
import { assumeRoleWithWebIdentity, AWS_AUDIENCE, DEFAULT_STS_ENDPOINT, roleSessionNameFor, type AwsTemporaryCredentials } from "./aws.js";
import { AZURE_AUDIENCE, DEFAULT_AZURE_AUTHORITY, exchangeForAzureToken, getUserDelegationKey, type AccessToken, type UserDelegationKey } from "./azure.js";
import { createCredentialCache, type CredentialCache, type Expiring } from "./cache.js";
import {
  DEFAULT_GOOGLE_STS_ENDPOINT,
  DEFAULT_IAM_CREDENTIALS_ENDPOINT,
  exchangeForGoogleToken,
  generateServiceAccountAccessToken,
  googleTokenAudience,
  signBlobAsServiceAccount,
} from "./gcp.js";
import { FederationError } from "./http.js";
import type { OidcProvider } from "./provider.js";

/**
 * A user delegation key is handed out only while it outlives this margin: SAS URLs signed with it live up to 15
 * minutes (`@multistore/backend-azure`), and one signed near the key's expiry would be cut short.
 */
const USER_DELEGATION_KEY_MARGIN_MS = 20 * 60_000;

/** Subject of the proxy's tokens when a bucket sets no `oidc_subject`. */
export const DEFAULT_SUBJECT = "s3-proxy";

/** Options of `createFederatedCredentials`. */
export interface FederationOptions {
  /** The proxy's OIDC provider (mints the tokens). */
  provider: OidcProvider;
  /** The `fetch` for STS calls (default the global one). */
  fetch?: typeof fetch;
  /** Clock in ms (default `Date.now`); used for expiry and the refresh window. */
  now?: () => number;
  /** Renew this long before expiry (default 60 s). */
  refreshWindowMs?: number;
  /** Lifetime requested for AWS sessions, Google service account tokens and Azure user delegation keys (default 3600 s). */
  sessionDurationSeconds?: number;
  /** Lifetime of the proxy's own tokens (default 300 s). */
  tokenTtlSeconds?: number;
  /** Timeout of each STS call (default 10 s). */
  timeoutMs?: number;
  /**
   * Endpoint overrides for every bucket (sovereign clouds, tests). A bucket's own `authority_host` (az), `sts_endpoint`
   * and `iam_credentials_endpoint` (gcs) win over these.
   */
  endpoints?: { azureAuthority?: string; googleSts?: string; googleIamCredentials?: string };
  /** Told about every failed exchange (cold or background renewal), with the bucket and the step. */
  onError?: (error: unknown, context: { bucket: string; step: string }) => void;
}

/** Credential providers per bucket; each returns a cached credential, renewing it as needed. */
export interface FederatedCredentials {
  /** AWS temporary credentials (AssumeRoleWithWebIdentity) for an `s3` bucket: `oidc_role_arn`, `sts_endpoint`. */
  awsCredentials(bucket: BucketConfig): () => Promise<AwsTemporaryCredentials>;
  /** A Microsoft Entra access token for Blob Storage for an `az` bucket: `tenant_id`, `client_id`. */
  azureAccessToken(bucket: BucketConfig): () => Promise<AccessToken>;
  /**
   * A user delegation key of the same identity for an `az` bucket (Get User Delegation Key at its blob endpoint, with
   * the access token above): what user delegation SAS URLs are signed with. The federated principal needs
   * `Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey` (e.g. Storage Blob Delegator).
   */
  azureUserDelegationKey(bucket: BucketConfig): () => Promise<UserDelegationKey>;
  /**
   * A Google access token of `service_account_email` for a `gcs` bucket, through the workload identity provider
   * `workload_identity_provider` (STS exchange, then `generateAccessToken`).
   */
  googleAccessToken(bucket: BucketConfig): () => Promise<AccessToken>;
  /**
   * Signs bytes (RSA-SHA256) as `service_account_email` of a `gcs` bucket through IAM Credentials `signBlob`, with
   * the federated token of `workload_identity_provider` (STS exchange, cached): what V4 signed URLs need without a
   * key. The federated principal needs `iam.serviceAccounts.signBlob` on the account (Service Account Token Creator).
   */
  googleSignBlob(bucket: BucketConfig): (payload: Uint8Array) => Promise<Uint8Array>;
  /**
   * The federated access token of a `gcs` bucket's identity (Google STS exchange with `workload_identity_provider`),
   * used directly as a bearer token (direct resource access: IAM roles granted to the federated principal itself, no
   * service account).
   */
  googleFederatedToken(bucket: BucketConfig): () => Promise<AccessToken>;
}

function required(bucket: BucketConfig, option: string): string {
  const value = bucket.backend_options[option];
  if (!value) {
    throw new S3Error("ServiceUnavailable", {
      message: `federated credentials for bucket ${bucket.name}: backend_options.${option} is not set (auth_type = "oidc")`,
      expose: true,
    });
  }
  return value;
}

/** Creates the federation: one credential cache per cloud, shared by every bucket. */
export function createFederatedCredentials(options: FederationOptions): FederatedCredentials {
  const now = options.now ?? Date.now;
  const cacheOptions = { now, ...(options.refreshWindowMs !== undefined && { refreshWindowMs: options.refreshWindowMs }) };
  const aws = createCredentialCache<AwsTemporaryCredentials>(cacheOptions);
  const azure = createCredentialCache<AccessToken>(cacheOptions);
  const google = createCredentialCache<AccessToken>(cacheOptions);
  const googleFederated = createCredentialCache<AccessToken>(cacheOptions);
  const azureKeys = createCredentialCache<UserDelegationKey>(cacheOptions);
  const http = { ...(options.fetch && { fetch: options.fetch }), ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) };
  const duration = options.sessionDurationSeconds ?? 3600;

  /** Runs an exchange; a failure is logged and becomes the bucket's actionable 503. */
  async function exchange<T>(bucket: BucketConfig, run: () => Promise<Expiring<T>>): Promise<Expiring<T>> {
    try {
      return await run();
    } catch (error) {
      if (isS3Error(error)) throw error;
      const step = error instanceof FederationError ? error.summary : "signing the proxy's OIDC token failed";
      options.onError?.(error, { bucket: bucket.name, step });
      throw new S3Error("ServiceUnavailable", { message: `federated credentials for bucket ${bucket.name}: ${step}`, expose: true, cause: error });
    }
  }

  function mint(subject: string, audience: string): Promise<string> {
    return options.provider.mintToken({ subject, audience, ttlSeconds: options.tokenTtlSeconds ?? 300 });
  }

  function provide<T>(cache: CredentialCache<T>, bucket: BucketConfig, key: () => string, run: () => Promise<Expiring<T>>): () => Promise<T> {
    return () => {
      let cacheKey: string;
      try {
        cacheKey = key();
      } catch (error) {
        return Promise.reject(error);
      }
      return cache.get(cacheKey, () => exchange(bucket, run));
    };
  }

  const subjectOf = (bucket: BucketConfig) => bucket.backend_options.oidc_subject || DEFAULT_SUBJECT;
  const googleSts = (bucket: BucketConfig) => bucket.backend_options.sts_endpoint || options.endpoints?.googleSts || DEFAULT_GOOGLE_STS_ENDPOINT;
  const googleIam = (bucket: BucketConfig) =>
    bucket.backend_options.iam_credentials_endpoint || options.endpoints?.googleIamCredentials || DEFAULT_IAM_CREDENTIALS_ENDPOINT;

  /** The federated token of a gcs bucket's identity (Google STS exchange), cached. */
  function googleFederatedToken(bucket: BucketConfig): () => Promise<AccessToken> {
    const subject = subjectOf(bucket);
    const provider = () => required(bucket, "workload_identity_provider");
    const stsEndpoint = googleSts(bucket);
    return provide(googleFederated, bucket, () => ["google-sts", stsEndpoint, provider(), subject].join("\n"), async () => {
      const federated = await exchangeForGoogleToken({
        ...http,
        now,
        workloadIdentityProvider: provider(),
        subjectToken: await mint(subject, googleTokenAudience(provider())),
        endpoint: stsEndpoint,
      });
      return { value: federated, expiresAt: federated.expiresAt.getTime() };
    });
  }

  function azureAccessToken(bucket: BucketConfig): () => Promise<AccessToken> {
    const subject = subjectOf(bucket);
    const authorityHost = bucket.backend_options.authority_host || options.endpoints?.azureAuthority || DEFAULT_AZURE_AUTHORITY;
    const key = () => ["azure", authorityHost, required(bucket, "tenant_id"), required(bucket, "client_id"), subject].join("\n");
    return provide(azure, bucket, key, async () => {
      const token = await exchangeForAzureToken({
        ...http,
        now,
        authorityHost,
        tenantId: required(bucket, "tenant_id"),
        clientId: required(bucket, "client_id"),
        assertion: await mint(subject, AZURE_AUDIENCE),
      });
      return { value: token, expiresAt: token.expiresAt.getTime() };
    });
  }

  return {
    awsCredentials(bucket) {
      const subject = subjectOf(bucket);
      const endpoint = bucket.backend_options.sts_endpoint || DEFAULT_STS_ENDPOINT;
      return provide(aws, bucket, () => ["aws", endpoint, required(bucket, "oidc_role_arn"), subject].join("\n"), async () => {
        const credentials = await assumeRoleWithWebIdentity({
          ...http,
          endpoint,
          roleArn: required(bucket, "oidc_role_arn"),
          roleSessionName: roleSessionNameFor(subject),
          webIdentityToken: await mint(subject, AWS_AUDIENCE),
          durationSeconds: duration,
        });
        return { value: credentials, expiresAt: credentials.expiration.getTime() };
      });
    },

    azureAccessToken,

    azureUserDelegationKey(bucket) {
      const accessToken = azureAccessToken(bucket);
      const endpoint = () => bucket.backend_options.endpoint || `https://${required(bucket, "account_name")}.blob.core.windows.net`;
      const authorityHost = bucket.backend_options.authority_host || options.endpoints?.azureAuthority || DEFAULT_AZURE_AUTHORITY;
      const key = () =>
        ["azure-key", endpoint(), authorityHost, required(bucket, "tenant_id"), required(bucket, "client_id"), subjectOf(bucket)].join("\n");
      return provide(azureKeys, bucket, key, async () => {
        const token = await accessToken();
        const started = now();
        // Start a little in the past: a start ahead of Azure's clock would make every SAS invalid for a while.
        const delegation = await getUserDelegationKey({
          ...http,
          endpoint: endpoint(),
          accessToken: token.accessToken,
          start: new Date(started - 5 * 60_000),
          expiry: new Date(started + duration * 1000 + USER_DELEGATION_KEY_MARGIN_MS),
        });
        const keyExpiry = Date.parse(delegation.signedExpiry);
        const expiresAt = Number.isNaN(keyExpiry) ? started + duration * 1000 : keyExpiry - USER_DELEGATION_KEY_MARGIN_MS;
        return { value: delegation, expiresAt };
      });
    },

    googleAccessToken(bucket) {
      const subject = subjectOf(bucket);
      const provider = () => required(bucket, "workload_identity_provider");
      const email = () => required(bucket, "service_account_email");
      const key = () => ["google", googleSts(bucket), googleIam(bucket), provider(), email(), subject].join("\n");
      return provide(google, bucket, key, async () => {
        const federated = await exchangeForGoogleToken({
          ...http,
          now,
          workloadIdentityProvider: provider(),
          subjectToken: await mint(subject, googleTokenAudience(provider())),
          endpoint: googleSts(bucket),
        });
        const token = await generateServiceAccountAccessToken({
          ...http,
          serviceAccountEmail: email(),
          accessToken: federated.accessToken,
          lifetimeSeconds: duration,
          endpoint: googleIam(bucket),
        });
        return { value: token, expiresAt: token.expiresAt.getTime() };
      });
    },

    googleFederatedToken,

    googleSignBlob(bucket) {
      const federatedToken = googleFederatedToken(bucket);
      return async (payload) => {
        const email = required(bucket, "service_account_email");
        const token = await federatedToken();
        const signed = await exchange(bucket, async () => {
          const { signature } = await signBlobAsServiceAccount({
            ...http,
            serviceAccountEmail: email,
            accessToken: token.accessToken,
            payload,
            endpoint: googleIam(bucket),
          });
          return { value: signature, expiresAt: 0 };
        });
        return signed.value;
      };
    },
  };
}

/**
 * Fails fast when a bucket needs federation and no provider is configured: throws an error naming the bucket and
 * the environment variables to set.
 */
export function requireOidcProviderFor(buckets: readonly BucketConfig[], provider: OidcProvider | undefined): void {
  if (provider) return;
  const index = buckets.findIndex((bucket) => bucket.backend_options.auth_type === "oidc");
  if (index === -1) return;
  throw new Error(
    `buckets[${index}] ("${buckets[index]!.name}") has backend_options.auth_type = "oidc": set OIDC_PROVIDER_KEY and OIDC_PROVIDER_ISSUER so the proxy can mint its tokens`,
  );
}
