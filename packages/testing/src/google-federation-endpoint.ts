/**
 * A local Google workload identity federation for tests, one server for two documented APIs:
 * - STS `POST /v1/token` (RFC 8693 token exchange, form in, JSON out): verifies the subject token (RS256 against the
 *   issuer's JWKS, `iss`, `aud` = the provider's default audience, expiry) and the `audience` of the exchange (the
 *   workload identity provider), then hands out an opaque federated access token;
 * - IAM Credentials `POST /v1/projects/-/serviceAccounts/<email>:signBlob` (JSON in and out): checks the bearer
 *   token is a live federated token and the account is the configured one, then signs `payload` (RSA-SHA256) with
 *   the service account's test key.
 * It counts exchanges and signatures and can be told to fail the STS step. `isFederatedToken` lets a resource server
 * (the GCS test server's `acceptBearer`) accept its tokens directly, as Cloud Storage does for direct resource access.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

/** Options of `startGoogleFederationEndpoint`. */
export interface GoogleFederationEndpointOptions {
  /** Expected `iss` of subject tokens. */
  issuer: string;
  /** Where the issuer's keys are (a function is read on first use). */
  jwksUri: string | (() => string);
  /** Workload identity provider resource name (`projects/<n>/locations/global/workloadIdentityPools/<p>/providers/<id>`). */
  workloadIdentityProvider: string;
  /** Service account key file (JSON): its `client_email` may be impersonated, its `private_key` signs blobs. */
  serviceAccountKey: string;
  /** Lifetime of federated tokens in seconds (default 3600). */
  tokenLifetimeSeconds?: number;
}

/** One STS exchange as the endpoint saw it. */
export interface GoogleStsExchange {
  /** Verified claims, when the token verified. */
  claims?: JWTPayload;
  /** `ok` or the OAuth error answered. */
  outcome: string;
}

/** A running local Google federation. */
export interface GoogleFederationEndpoint {
  /** STS token endpoint URL (`.../v1/token`). */
  stsEndpoint: string;
  /** IAM Credentials API base URL. */
  iamCredentialsEndpoint: string;
  /** Every STS exchange, in order. */
  exchanges: GoogleStsExchange[];
  /** Every signBlob call: the account and the outcome (`ok` or the error status). */
  signatures: { email: string; outcome: string }[];
  /** Whether `token` is an access token this endpoint's STS issued and that has not expired. */
  isFederatedToken(token: string): boolean;
  /** Answer STS requests with this OAuth error (undefined: answer normally). */
  failStsWith(error: string | undefined, status?: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function googleError(response: ServerResponse, status: number, code: string, message: string): void {
  json(response, status, { error: { code: status, message, status: code } });
}

/** Starts the endpoint on 127.0.0.1 (random port). */
export async function startGoogleFederationEndpoint(options: GoogleFederationEndpointOptions): Promise<GoogleFederationEndpoint> {
  const key = JSON.parse(options.serviceAccountKey) as { client_email: string; private_key: string };
  const privateKey: KeyObject = createPrivateKey(key.private_key);
  const provider = options.workloadIdentityProvider.replace(/^\/\/iam\.googleapis\.com\//, "");
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const tokens = new Map<string, number>();
  const exchanges: GoogleStsExchange[] = [];
  const signatures: { email: string; outcome: string }[] = [];
  let forced: { error: string; status: number } | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  function isFederatedToken(token: string): boolean {
    const expires = tokens.get(token);
    return expires !== undefined && expires >= Date.now();
  }

  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const fields = new URLSearchParams(await readBody(request));
    const exchange: GoogleStsExchange = { outcome: "ok" };
    exchanges.push(exchange);
    const refuse = (error: string, description: string, status = 400) => {
      exchange.outcome = error;
      json(response, status, { error, error_description: description });
    };
    if (forced) return refuse(forced.error, "forced failure", forced.status);
    if (fields.get("grant_type") !== "urn:ietf:params:oauth:grant-type:token-exchange") return refuse("unsupported_grant_type", "grant_type");
    if (fields.get("subject_token_type") !== "urn:ietf:params:oauth:token-type:jwt") return refuse("invalid_request", "subject_token_type");
    if (fields.get("requested_token_type") !== "urn:ietf:params:oauth:token-type:access_token") return refuse("invalid_request", "requested_token_type");
    if (fields.get("audience") !== `//iam.googleapis.com/${provider}`) return refuse("invalid_target", "The target service indicated by the audience parameter is invalid");
    try {
      jwks ??= createRemoteJWKSet(new URL(typeof options.jwksUri === "function" ? options.jwksUri() : options.jwksUri));
      const { payload } = await jwtVerify(fields.get("subject_token") ?? "", jwks, {
        issuer: options.issuer,
        audience: `https://iam.googleapis.com/${provider}`,
        algorithms: ["RS256"],
      });
      exchange.claims = payload;
    } catch (error) {
      return refuse("invalid_grant", `The subject token failed verification: ${(error as Error).message}`);
    }
    const accessToken = `fed-${randomUUID()}`;
    tokens.set(accessToken, Date.now() + lifetime * 1000);
    json(response, 200, { access_token: accessToken, issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer", expires_in: lifetime });
  }

  async function signBlob(email: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = JSON.parse((await readBody(request)) || "{}") as { payload?: string };
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
    const entry = { email, outcome: "ok" };
    signatures.push(entry);
    if (!isFederatedToken(bearer)) {
      entry.outcome = "UNAUTHENTICATED";
      return googleError(response, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    }
    if (email !== key.client_email) {
      entry.outcome = "PERMISSION_DENIED";
      return googleError(response, 403, "PERMISSION_DENIED", "Permission 'iam.serviceAccounts.signBlob' denied on resource (or it may not exist).");
    }
    if (typeof body.payload !== "string") {
      entry.outcome = "INVALID_ARGUMENT";
      return googleError(response, 400, "INVALID_ARGUMENT", "payload is required");
    }
    const signature = sign("sha256", Buffer.from(body.payload, "base64"), privateKey);
    json(response, 200, { keyId: "test-key-1", signedBlob: signature.toString("base64") });
  }

  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
    const account = /^\/v1\/projects\/-\/serviceAccounts\/([^/]+):signBlob$/.exec(path);
    const handled =
      request.method === "POST" && path === "/v1/token"
        ? token(request, response)
        : request.method === "POST" && account
          ? signBlob(account[1]!, request, response)
          : Promise.resolve(googleError(response, 404, "NOT_FOUND", "not found"));
    handled.catch((error: unknown) => {
      if (!response.headersSent) googleError(response, 500, "INTERNAL", String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    stsEndpoint: `${base}/v1/token`,
    iamCredentialsEndpoint: base,
    exchanges,
    signatures,
    isFederatedToken,
    failStsWith: (error, status = 400) => void (forced = error === undefined ? undefined : { error, status }),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
