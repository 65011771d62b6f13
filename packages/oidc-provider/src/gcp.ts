/**
 * Google Cloud: workload identity federation. The proxy's token is exchanged at Google's Security Token Service
 * (RFC 8693 token exchange) for a federated access token, which then impersonates a service account through the IAM
 * Service Account Credentials API: `generateAccessToken` for bearer requests, `signBlob` for V4 signed URLs.
 */
import { fromBase64, toBase64 } from "@multistore/core/backend";
import { expiresIn, FederationError, form, jsonObject, post, requiredString, type HttpOptions, type SmallAnswer } from "./http.js";
import type { AccessToken } from "./azure.js";

/** Google STS token endpoint. */
export const DEFAULT_GOOGLE_STS_ENDPOINT = "https://sts.googleapis.com/v1/token";
/** IAM Service Account Credentials API. */
export const DEFAULT_IAM_CREDENTIALS_ENDPOINT = "https://iamcredentials.googleapis.com";
/** The broad Cloud scope (IAM on the service account narrows what it can do). */
export const GOOGLE_CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

const STS_STEP = "Google STS token exchange";
const IMPERSONATE_STEP = "IAM generateAccessToken";
const SIGN_STEP = "IAM signBlob";

/** The provider resource name (`projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<id>`). */
function providerName(workloadIdentityProvider: string): string {
  return workloadIdentityProvider.replace(/^(https:)?\/\/iam\.googleapis\.com\//, "").replace(/^\/+/, "");
}

/** The STS `audience`: `//iam.googleapis.com/<provider resource name>`. */
export function googleStsAudience(workloadIdentityProvider: string): string {
  return `//iam.googleapis.com/${providerName(workloadIdentityProvider)}`;
}

/** The `aud` of the proxy's token: a provider's default allowed audience, `https://iam.googleapis.com/<name>`. */
export function googleTokenAudience(workloadIdentityProvider: string): string {
  return `https://iam.googleapis.com/${providerName(workloadIdentityProvider)}`;
}

/** What `exchangeForGoogleToken` takes. */
export interface GoogleStsOptions extends HttpOptions {
  /** Workload identity provider resource name (with or without the `//iam.googleapis.com/` prefix). */
  workloadIdentityProvider: string;
  /** The proxy's JWT. */
  subjectToken: string;
  /** Scope (default cloud-platform). */
  scope?: string;
  /** STS token endpoint (default `https://sts.googleapis.com/v1/token`). */
  endpoint?: string;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

function googleError(step: string, answer: SmallAnswer): FederationError {
  let json: Record<string, unknown> = {};
  try {
    json = jsonObject(step, answer);
  } catch {
    // a non-JSON error body: the status says enough
  }
  const error = json.error;
  if (typeof error === "string") return new FederationError(step, error, String(json.error_description ?? error), { status: answer.status });
  if (typeof error === "object" && error !== null) {
    const { status, message } = error as Record<string, unknown>;
    return new FederationError(step, typeof status === "string" ? status : `HTTP ${answer.status}`, String(message ?? ""), { status: answer.status });
  }
  return new FederationError(step, `HTTP ${answer.status}`, answer.text.slice(0, 200), { status: answer.status });
}

/**
 * Token exchange at Google STS: the proxy's JWT for a federated access token.
 *
 * @throws FederationError naming the OAuth error (e.g. `invalid_grant`)
 */
export async function exchangeForGoogleToken(options: GoogleStsOptions): Promise<AccessToken> {
  const body = form({
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    audience: googleStsAudience(options.workloadIdentityProvider),
    scope: options.scope ?? GOOGLE_CLOUD_PLATFORM_SCOPE,
    requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
    subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    subject_token: options.subjectToken,
  });
  const started = (options.now ?? Date.now)();
  const answer = await post(STS_STEP, options.endpoint ?? DEFAULT_GOOGLE_STS_ENDPOINT, { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body, options);
  if (answer.status !== 200) throw googleError(STS_STEP, answer);
  const json = jsonObject(STS_STEP, answer);
  return {
    accessToken: requiredString(STS_STEP, json, "access_token", answer.status),
    expiresAt: expiresIn(STS_STEP, json.expires_in, started, answer.status),
  };
}

/** What the service account calls take. */
export interface ServiceAccountOptions extends HttpOptions {
  /** The impersonated service account's email. */
  serviceAccountEmail: string;
  /** Bearer token of the caller: the federated token (which needs Service Account Token Creator on the account). */
  accessToken: string;
  /** API endpoint (default `https://iamcredentials.googleapis.com`). */
  endpoint?: string;
}

function serviceAccountUrl(options: ServiceAccountOptions, method: string): string {
  const base = (options.endpoint ?? DEFAULT_IAM_CREDENTIALS_ENDPOINT).replace(/\/+$/, "");
  return `${base}/v1/projects/-/serviceAccounts/${encodeURIComponent(options.serviceAccountEmail)}:${method}`;
}

function jsonHeaders(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}`, "content-type": "application/json", accept: "application/json" };
}

/**
 * `generateAccessToken`: an access token of the service account.
 *
 * @param options.scope scopes (default cloud-platform)
 * @param options.lifetimeSeconds lifetime (default 3600, Google's maximum unless raised by organization policy)
 * @throws FederationError naming Google's error status (e.g. `PERMISSION_DENIED`)
 */
export async function generateServiceAccountAccessToken(
  options: ServiceAccountOptions & { scope?: string[]; lifetimeSeconds?: number },
): Promise<AccessToken> {
  const body = JSON.stringify({ scope: options.scope ?? [GOOGLE_CLOUD_PLATFORM_SCOPE], lifetime: `${options.lifetimeSeconds ?? 3600}s` });
  const answer = await post(IMPERSONATE_STEP, serviceAccountUrl(options, "generateAccessToken"), jsonHeaders(options.accessToken), body, options);
  if (answer.status !== 200) throw googleError(IMPERSONATE_STEP, answer);
  const json = jsonObject(IMPERSONATE_STEP, answer);
  const expiresAt = new Date(requiredString(IMPERSONATE_STEP, json, "expireTime", answer.status));
  if (Number.isNaN(expiresAt.getTime())) throw new FederationError(IMPERSONATE_STEP, "a malformed response", "expireTime is not a time", { status: answer.status });
  return { accessToken: requiredString(IMPERSONATE_STEP, json, "accessToken", answer.status), expiresAt };
}

/**
 * `signBlob`: an RSA-SHA256 signature by the service account's Google-managed key (what a V4 signed URL needs).
 *
 * @throws FederationError naming Google's error status
 */
export async function signBlobAsServiceAccount(options: ServiceAccountOptions & { payload: Uint8Array }): Promise<{ keyId: string; signature: Uint8Array }> {
  const body = JSON.stringify({ payload: toBase64(options.payload) });
  const answer = await post(SIGN_STEP, serviceAccountUrl(options, "signBlob"), jsonHeaders(options.accessToken), body, options);
  if (answer.status !== 200) throw googleError(SIGN_STEP, answer);
  const json = jsonObject(SIGN_STEP, answer);
  const signature = fromBase64(requiredString(SIGN_STEP, json, "signedBlob", answer.status));
  if (!signature) throw new FederationError(SIGN_STEP, "a malformed response", "signedBlob is not base64", { status: answer.status });
  return { keyId: requiredString(SIGN_STEP, json, "keyId", answer.status), signature };
}
