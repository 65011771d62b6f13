/**
 * Multistore as an OpenID Connect provider for its own backends: the discovery document and the JWKS, served as
 * gateway routes, and short-lived RS256 tokens the proxy mints for itself and exchanges at a cloud's STS. Only
 * `fetch`, WebCrypto and jose are used, so it runs on Node and on Workers.
 */
import { isLoopbackHost, type PlainResponse, type Route } from "@multistore/core";
import type { JSONWebKeySet } from "jose";
import { importSigningKeys, parseProviderKeys, validateKeys, type ProviderKeyInput, type SigningKey } from "./keys.js";

/** Options of `createOidcProvider`. */
export interface OidcProviderOptions {
  /**
   * Public URL of the proxy as an issuer (`https://proxy.example.com`, or with a path). Tokens carry it as `iss`; the
   * documents are served at `<issuer path>/.well-known/openid-configuration` and `<issuer path>/.well-known/jwks.json`.
   */
  issuer: string;
  /** Signing keys; the first signs, all are published. */
  keys: readonly ProviderKeyInput[];
  /** Clock in ms, for tests (default `Date.now`). */
  now?: () => number;
}

/** What `mintToken` takes. */
export interface MintTokenOptions {
  /** `sub` claim. */
  subject: string;
  /** `aud` claim: the audience the cloud's STS expects. */
  audience: string;
  /** Lifetime in seconds (default 300). */
  ttlSeconds?: number;
}

/** A configured provider. */
export interface OidcProvider {
  /** The issuer URL, without a trailing slash. */
  readonly issuer: string;
  /** `GET` routes for the discovery document and the JWKS; add them to `GatewayOptions.routes`. */
  readonly routes: Route[];
  /** Signs a token: `iss`, `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`; header `alg: RS256`, `kid`, `typ: JWT`. */
  mintToken(options: MintTokenOptions): Promise<string>;
  /** The discovery document. */
  discovery(): Record<string, unknown>;
  /** The public keys (also imports the keys: await it at startup to fail fast on a bad key). */
  jwks(): Promise<JSONWebKeySet>;
}

const DISCOVERY_PATH = "/.well-known/openid-configuration";
const JWKS_PATH = "/.well-known/jwks.json";

/** Checks the issuer URL (https, or http on loopback for local tests; no query or fragment). */
export function normalizeIssuer(issuer: string, name = "issuer"): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`${name} must be the proxy's public https:// URL, got "${issuer}"`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new Error(`${name} must be an https:// URL (clouds fetch the JWKS over https), got "${issuer}"`);
  }
  if (url.search || url.hash || url.username || url.password) throw new Error(`${name} must have no query, fragment or credentials`);
  return url;
}

/** The issuer's path without a trailing slash (`""` for an origin). */
function issuerPath(url: URL): string {
  return url.pathname.replace(/\/+$/, "");
}

function json(body: unknown): PlainResponse<never> {
  return {
    status: 200,
    headers: new Headers({ "content-type": "application/json", "cache-control": "public, max-age=300" }),
    body: JSON.stringify(body),
  };
}

/**
 * Creates the provider. Key formats are checked now (throws naming the problem); keys are imported on first use and
 * the result kept. Concurrent first uses import independently (no promise is shared between requests).
 */
export function createOidcProvider(options: OidcProviderOptions): OidcProvider {
  const url = normalizeIssuer(options.issuer);
  const path = issuerPath(url);
  const issuer = `${url.origin}${path}`;
  const keys = validateKeys(options.keys);
  const now = options.now ?? Date.now;
  let imported: SigningKey[] | undefined;

  async function signingKeys(): Promise<SigningKey[]> {
    if (imported) return imported;
    const fresh = await importSigningKeys(keys);
    imported ??= fresh;
    return imported;
  }

  const discoveryDocument = {
    issuer,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
  };

  async function jwks(): Promise<JSONWebKeySet> {
    return { keys: (await signingKeys()).map((key) => key.publicJwk) };
  }

  const routes: Route[] = [
    { method: "GET", path: `${path}${DISCOVERY_PATH}`, handler: () => json(discoveryDocument) },
    { method: "GET", path: `${path}${JWKS_PATH}`, handler: async () => json(await jwks()) },
  ];

  return {
    issuer,
    routes,
    discovery: () => ({ ...discoveryDocument }),
    jwks,
    async mintToken({ subject, audience, ttlSeconds = 300 }) {
      if (!subject) throw new Error("mintToken: subject is required");
      if (!audience) throw new Error("mintToken: audience is required");
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 3600) throw new Error("mintToken: ttlSeconds must be 1..3600");
      const [key] = await signingKeys();
      // (Loaded with the keys, by importSigningKeys; this import is already settled.)
      const { SignJWT } = await import("./jose-signing.js");
      const issuedAt = Math.floor(now() / 1000);
      return new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: "RS256", kid: key!.kid, typ: "JWT" })
        .setIssuer(issuer)
        .setSubject(subject)
        .setAudience(audience)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(key!.privateKey);
    },
  };
}

/**
 * The provider configured by `OIDC_PROVIDER_KEY` and `OIDC_PROVIDER_ISSUER`, or undefined when neither is set.
 * Throws (naming the variable) when only one is set or a value is malformed.
 */
export function oidcProviderFromEnv(env: Record<string, unknown>, now?: () => number): OidcProvider | undefined {
  const key = env.OIDC_PROVIDER_KEY;
  const issuer = env.OIDC_PROVIDER_ISSUER;
  const hasKey = typeof key === "string" && key.trim() !== "";
  const hasIssuer = typeof issuer === "string" && issuer.trim() !== "";
  if (!hasKey && !hasIssuer) return undefined;
  if (!hasKey) throw new Error("OIDC_PROVIDER_ISSUER is set but OIDC_PROVIDER_KEY is not: set both (or neither)");
  if (!hasIssuer) throw new Error("OIDC_PROVIDER_KEY is set but OIDC_PROVIDER_ISSUER is not: set both (or neither)");
  normalizeIssuer(issuer, "OIDC_PROVIDER_ISSUER");
  return createOidcProvider({ issuer, keys: parseProviderKeys(key), ...(now && { now }) });
}
