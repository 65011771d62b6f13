/**
 * Azure: Microsoft Entra workload identity federation. The proxy's token (audience `api://AzureADTokenExchange`) is
 * the client assertion of an OAuth 2.0 client credentials grant for the app registration that trusts the proxy;
 * the access token that comes back authorizes Blob Storage requests as a bearer token, or fetches a user delegation
 * key (Get User Delegation Key) to sign user delegation SAS URLs.
 */
import { childText, escapeXml, parseXml, type XmlElement } from "@multistore/core/backend";
import { expiresIn, FederationError, form, jsonObject, post, requiredString, type HttpOptions } from "./http.js";

/** Audience Microsoft Entra expects in federated client assertions. */
export const AZURE_AUDIENCE = "api://AzureADTokenExchange";
/** Scope of Blob Storage access tokens. */
export const AZURE_STORAGE_SCOPE = "https://storage.azure.com/.default";
/** Microsoft Entra authority for the public cloud. */
export const DEFAULT_AZURE_AUTHORITY = "https://login.microsoftonline.com";
/** Storage service version sent with Get User Delegation Key (2018-11-09 or later is required). */
export const DEFAULT_AZURE_STORAGE_VERSION = "2021-12-02";

const TOKEN_STEP = "Microsoft Entra token request";
const KEY_STEP = "Azure Get User Delegation Key";

/** What `exchangeForAzureToken` takes. */
export interface AzureTokenOptions extends HttpOptions {
  /** Directory (tenant) id. */
  tenantId: string;
  /** Application (client) id of the app registration with the federated credential. */
  clientId: string;
  /** The proxy's JWT (audience `api://AzureADTokenExchange`). */
  assertion: string;
  /** Scope (default `https://storage.azure.com/.default`). */
  scope?: string;
  /** Authority host (default `https://login.microsoftonline.com`; sovereign clouds and tests differ). */
  authorityHost?: string;
  /** Clock in ms (default `Date.now`), to turn `expires_in` into a time. */
  now?: () => number;
}

/** An OAuth 2.0 access token. */
export interface AccessToken {
  /** The bearer token. */
  accessToken: string;
  /** When it expires. */
  expiresAt: Date;
}

/**
 * Client credentials grant with a federated client assertion.
 *
 * @throws FederationError naming Entra's `error` and AADSTS code (e.g. `invalid_client (AADSTS700213)`)
 */
export async function exchangeForAzureToken(options: AzureTokenOptions): Promise<AccessToken> {
  const authority = (options.authorityHost ?? DEFAULT_AZURE_AUTHORITY).replace(/\/+$/, "");
  const url = `${authority}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`;
  const body = form({
    grant_type: "client_credentials",
    client_id: options.clientId,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: options.assertion,
    scope: options.scope ?? AZURE_STORAGE_SCOPE,
  });
  const started = (options.now ?? Date.now)();
  const answer = await post(TOKEN_STEP, url, { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body, options);
  const json = jsonObject(TOKEN_STEP, answer);
  if (answer.status !== 200) {
    const codes = Array.isArray(json.error_codes) && json.error_codes.length > 0 ? ` (AADSTS${json.error_codes[0]})` : "";
    const error = typeof json.error === "string" ? `${json.error}${codes}` : `HTTP ${answer.status}`;
    throw new FederationError(TOKEN_STEP, error, String(json.error_description ?? `HTTP ${answer.status}`), { status: answer.status });
  }
  return {
    accessToken: requiredString(TOKEN_STEP, json, "access_token", answer.status),
    expiresAt: expiresIn(TOKEN_STEP, json.expires_in, started, answer.status),
  };
}

/** What `getUserDelegationKey` takes. */
export interface UserDelegationKeyOptions extends HttpOptions {
  /** Blob service endpoint: `https://<account>.blob.core.windows.net`, or Azurite's `http://127.0.0.1:10000/<account>`. */
  endpoint: string;
  /** Microsoft Entra access token for Storage. */
  accessToken: string;
  /** Start of validity (default now). */
  start?: Date;
  /** End of validity (at most 7 days after now). */
  expiry: Date;
  /** `x-ms-version` (default `2021-12-02`). */
  version?: string;
}

/** A user delegation key: what a user delegation SAS is signed with (its fields go into the SAS as `skoid`, ...). */
export interface UserDelegationKey {
  /** `SignedOid` (skoid). */
  signedObjectId: string;
  /** `SignedTid` (sktid). */
  signedTenantId: string;
  /** `SignedStart` (skt), as sent. */
  signedStart: string;
  /** `SignedExpiry` (ske), as sent. */
  signedExpiry: string;
  /** `SignedService` (sks), `b`. */
  signedService: string;
  /** `SignedVersion` (skv). */
  signedVersion: string;
  /** The key, base64: HMAC-SHA256 key of the SAS string-to-sign. */
  value: string;
}

/** Azure time format: ISO 8601 UTC without fractional seconds. */
export function azureTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Get User Delegation Key: `POST <endpoint>/?restype=service&comp=userdelegationkey` with a bearer token and a
 * `<KeyInfo><Start/><Expiry/></KeyInfo>` body.
 *
 * @throws FederationError naming Storage's error code (e.g. `AuthorizationPermissionMismatch`)
 */
export async function getUserDelegationKey(options: UserDelegationKeyOptions): Promise<UserDelegationKey> {
  const url = new URL(options.endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/`;
  url.search = "restype=service&comp=userdelegationkey";
  const body =
    `<?xml version="1.0" encoding="utf-8"?>\n<KeyInfo><Start>${escapeXml(azureTime(options.start ?? new Date()))}</Start>` +
    `<Expiry>${escapeXml(azureTime(options.expiry))}</Expiry></KeyInfo>`;
  const headers = {
    authorization: `Bearer ${options.accessToken}`,
    "x-ms-version": options.version ?? DEFAULT_AZURE_STORAGE_VERSION,
    "x-ms-date": new Date().toUTCString(),
    "content-type": "application/xml",
  };
  const answer = await post(KEY_STEP, url.toString(), headers, body, options);
  let root: XmlElement | undefined;
  try {
    root = parseXml(answer.text);
  } catch {
    root = undefined;
  }
  if (answer.status !== 200) {
    const code = answer.headers.get("x-ms-error-code") ?? (root?.name === "Error" ? childText(root, "Code") : undefined) ?? `HTTP ${answer.status}`;
    const message = (root?.name === "Error" ? childText(root, "Message") : undefined) ?? `HTTP ${answer.status}`;
    throw new FederationError(KEY_STEP, code, message.trim(), { status: answer.status });
  }
  const field = (name: string) => {
    const value = root?.name === "UserDelegationKey" ? childText(root, name)?.trim() : undefined;
    if (!value) throw new FederationError(KEY_STEP, "a malformed response", `the answer has no ${name}`, { status: answer.status });
    return value;
  };
  return {
    signedObjectId: field("SignedOid"),
    signedTenantId: field("SignedTid"),
    signedStart: field("SignedStart"),
    signedExpiry: field("SignedExpiry"),
    signedService: field("SignedService"),
    signedVersion: field("SignedVersion"),
    value: field("Value"),
  };
}
