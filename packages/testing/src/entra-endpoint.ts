/**
 * A local stand-in for Microsoft Entra ID's token endpoint, for workload identity federation tests: the OAuth 2.0
 * client credentials grant with a federated client assertion, as documented at
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow (third case).
 *
 * `POST /{tenant}/oauth2/v2.0/token` (form in, JSON out) checks the request the way one federated identity credential
 * of one app registration would: the tenant, `client_id`, `scope` (`https://storage.azure.com/.default`), and the
 * client assertion (RS256 against the JWKS at `jwksUri()`, `iss`, `aud` = `api://AzureADTokenExchange`, `sub`,
 * `exp`/`nbf`). It answers an access token that Azurite's `--oauth basic` accepts (Azurite does not check its
 * signature) or an Entra-shaped error with a realistic AADSTS code. Plain HTTP on 127.0.0.1, OS-chosen port.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, errors as joseErrors, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from "jose";

/** Options of {@link startEntraEndpoint}. */
export interface EntraEndpointOptions {
  /** Expected `iss` of client assertions (the federated identity credential's issuer). */
  issuer: string;
  /** Where the issuer's keys are; read at every JWKS fetch because the issuer's URL may be known only later. */
  jwksUri: string | (() => string);
  /** The directory (tenant) ID that exists; any other tenant in the path answers AADSTS90002. */
  tenantId: string;
  /** The application (client) ID of the app registration; any other answers AADSTS700016. */
  clientId: string;
  /** Expected `sub` of client assertions (default `s3-proxy`). */
  subject?: string;
  /** Object ID of the app's service principal: the access token's `oid` and `sub` (default a fixed GUID). */
  objectId?: string;
  /** Lifetime of access tokens in seconds (default 3600). */
  expiresInSeconds?: number;
}

/** One token request as the endpoint saw it. */
export interface EntraExchange {
  /** `ok`, or the OAuth `error` answered (`invalid_client`, `invalid_request`, ...). */
  outcome: "ok" | (string & {});
  /** The client assertion's claims, once its signature and lifetime verified. */
  claims?: Record<string, unknown>;
  /** The tenant in the request path. */
  tenant: string;
  /** The `client_id` form field, when present. */
  clientId?: string;
}

/** A running local Entra token endpoint. */
export interface EntraEndpoint {
  /** Authority host, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  authorityHost: string;
  /** Token endpoint of a tenant: `{authorityHost}/{tenant}/oauth2/v2.0/token` (default: the configured tenant). */
  tokenUrl(tenant?: string): string;
  /** The `oid` (and `sub`) of issued access tokens. */
  objectId: string;
  /** Every token request, in order. */
  exchanges: EntraExchange[];
  /** Answer every following request with this OAuth error, HTTP status and AADSTS code, until {@link recover}. */
  failWith(error: string, status: number, code?: number): void;
  /** Answer normally again. */
  recover(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/** The audience Entra requires in federated client assertions. */
const ASSERTION_AUDIENCE = "api://AzureADTokenExchange";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const STORAGE_SCOPE = "https://storage.azure.com/.default";
/** An arbitrary but stable GUID, so that tests can expect it in user delegation keys (`SignedOid`). */
const DEFAULT_OBJECT_ID = "5f2b3a1c-7d4e-4b8a-9c6f-0e1d2c3b4a59";

/** A refusal: the OAuth error, the AADSTS code and its message, and the HTTP status Entra uses for it. */
class EntraError extends Error {
  constructor(
    readonly error: string,
    readonly code: number,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Entra's timestamp format in error bodies: `2025-10-13 14:54:34Z`. */
function entraTime(date: Date): string {
  return date.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

function sendError(response: ServerResponse, failure: EntraError): void {
  const timestamp = entraTime(new Date());
  const traceId = randomUUID();
  const correlationId = randomUUID();
  // Entra repeats the trace details at the end of error_description.
  const description = `AADSTS${failure.code}: ${failure.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`;
  const body = { error: failure.error, error_description: description, error_codes: [failure.code], timestamp, trace_id: traceId, correlation_id: correlationId, error_uri: `https://login.microsoftonline.com/error?code=${failure.code}` };
  response.writeHead(failure.status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Maps a jose verification failure to the AADSTS error Entra answers for it. */
function assertionFailure(error: unknown): EntraError {
  if (error instanceof EntraError) return error;
  if (error instanceof joseErrors.JWTExpired) return new EntraError("invalid_client", 700024, "Client assertion is not within its valid time range.", 401);
  if (error instanceof joseErrors.JWTClaimValidationFailed && (error.claim === "nbf" || error.claim === "iat")) {
    return new EntraError("invalid_client", 700024, "Client assertion is not within its valid time range.", 401);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new EntraError("invalid_client", 700027, "Client assertion failed signature validation.", 401);
  }
  if (error instanceof joseErrors.JOSEError) return new EntraError("invalid_client", 50027, `JWT token is invalid or malformed (${error.code}).`, 401);
  return new EntraError("invalid_client", 50166, `Request to External OIDC endpoint failed: ${String(error)}`, 401);
}

/** Starts the endpoint on 127.0.0.1 (OS-chosen port). */
export async function startEntraEndpoint(options: EntraEndpointOptions): Promise<EntraEndpoint> {
  const subject = options.subject ?? "s3-proxy";
  const objectId = options.objectId ?? DEFAULT_OBJECT_ID;
  const lifetime = options.expiresInSeconds ?? 3600;
  const signingKey = (await generateKeyPair("RS256")).privateKey;
  const signingKid = `entra-test-${randomUUID().slice(0, 8)}`;
  const exchanges: EntraExchange[] = [];
  let forced: EntraError | undefined;
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined;

  async function fetchKeys(): Promise<ReturnType<typeof createLocalJWKSet>> {
    const uri = typeof options.jwksUri === "function" ? options.jwksUri() : options.jwksUri;
    const response = await fetch(uri);
    if (!response.ok) throw new Error(`JWKS ${uri} answered ${response.status}`);
    jwks = createLocalJWKSet((await response.json()) as JSONWebKeySet);
    return jwks;
  }

  /** Verifies signature and lifetime; keys are cached and fetched again once when a `kid` is unknown (key rotation). */
  async function verifySignature(assertion: string): Promise<JWTPayload> {
    const verify = (keys: ReturnType<typeof createLocalJWKSet>) => jwtVerify(assertion, keys, { algorithms: ["RS256"], requiredClaims: ["iss", "sub", "aud", "exp"] });
    try {
      return (await verify(jwks ?? (await fetchKeys()))).payload;
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      return (await verify(await fetchKeys())).payload;
    }
  }

  async function exchange(tenant: string, fields: URLSearchParams, record: EntraExchange): Promise<object> {
    if (forced) throw forced;
    if (tenant !== options.tenantId) {
      throw new EntraError("invalid_request", 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (fields.get("grant_type") !== "client_credentials") throw new EntraError("unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    if (!record.clientId) throw new EntraError("invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    if (record.clientId !== options.clientId) {
      throw new EntraError("unauthorized_client", 700016, `Application with identifier '${record.clientId}' was not found in the directory '${tenant}'.`);
    }
    const assertion = fields.get("client_assertion");
    if (fields.get("client_assertion_type") !== ASSERTION_TYPE || !assertion) {
      throw new EntraError("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401);
    }
    const scope = fields.get("scope");
    if (scope !== STORAGE_SCOPE) throw new EntraError("invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${scope ?? ""} is not valid.`);
    let claims: JWTPayload;
    try {
      claims = await verifySignature(assertion);
    } catch (error) {
      throw assertionFailure(error);
    }
    record.claims = claims;
    // Entra looks the federated identity credential up by issuer, subject and audience; name the first mismatch.
    if (claims.iss !== options.issuer) throw new EntraError("invalid_client", 700211, `No matching federated identity record found for presented assertion issuer '${claims.iss}'.`, 401);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(ASSERTION_AUDIENCE)) throw new EntraError("invalid_client", 700212, `No matching federated identity record found for presented assertion audience '${audiences.join(",")}'.`, 401);
    if (claims.sub !== subject) {
      throw new EntraError("invalid_client", 700213, `No matching federated identity record found for presented assertion subject '${claims.sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`, 401);
    }
    const now = Math.floor(Date.now() / 1000);
    // The claims Azurite's `--oauth basic` checks (iss prefix, aud, iat/nbf/exp) plus those a real app-only v1 token carries.
    const accessToken = await new SignJWT({ appid: options.clientId, appidacr: "2", idtyp: "app", oid: objectId, tid: options.tenantId, ver: "1.0", uti: randomUUID() })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: signingKid })
      .setIssuer(`https://sts.windows.net/${options.tenantId}/`)
      .setAudience("https://storage.azure.com")
      .setSubject(objectId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetime)
      .sign(signingKey);
    return { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
  }

  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
      const route = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
      if (request.method !== "POST" || !route) {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      const fields = new URLSearchParams(await readBody(request));
      const record: EntraExchange = { outcome: "ok", tenant: decodeURIComponent(route[1]!) };
      const clientId = fields.get("client_id");
      if (clientId !== null) record.clientId = clientId;
      exchanges.push(record);
      try {
        const body = await exchange(record.tenant, fields, record);
        response.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(JSON.stringify(body));
      } catch (error) {
        const failure = error instanceof EntraError ? error : new EntraError("server_error", 50000, `There was an error issuing a token: ${String(error)}`, 500);
        record.outcome = failure.error;
        sendError(response, failure);
      }
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const authorityHost = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    authorityHost,
    tokenUrl: (tenant = options.tenantId) => `${authorityHost}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
    objectId,
    exchanges,
    failWith(error, status, code) {
      // Without a code: AADSTS90033 ("a transient error has occurred") for outages, AADSTS50000 otherwise.
      const aadsts = code ?? (status >= 500 ? 90033 : 50000);
      forced = new EntraError(error, aadsts, status >= 500 ? "A transient error has occurred. Please try again." : "There was an error issuing a token.", status);
    },
    recover() {
      forced = undefined;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
