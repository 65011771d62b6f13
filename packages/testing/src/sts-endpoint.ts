/**
 * A local AWS STS for tests: speaks `AssumeRoleWithWebIdentity` (Query API 2011-06-15: form POST in, XML out) and
 * really verifies the web identity token: RS256 signature against the issuer's published JWKS (found through its
 * discovery document, or at `jwksUri`), `iss`, `aud`, expiry, and the expected role. It counts exchanges, can be
 * told to fail, and can hold its answers (to prove that callers do not wait on a renewal).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";

/** Options of `startStsEndpoint`. */
export interface StsEndpointOptions {
  /** Expected `iss` of web identity tokens; its `/.well-known/openid-configuration` leads to the keys. */
  issuer: string;
  /** Fetch the keys from here instead of through discovery (a function is read on first use). */
  jwksUri?: string | (() => string);
  /** Expected `aud` (default `sts.amazonaws.com`). */
  audience?: string;
  /** The role that may be assumed; any other RoleArn gets AccessDenied. */
  roleArn: string;
  /** The temporary credentials handed out (the session token defaults to a fresh random one per exchange). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Lifetime of issued credentials in seconds (default: the request's DurationSeconds). */
  lifetimeSeconds?: number;
  /** Clock in ms (default `Date.now`): token validation and `Expiration` use it. */
  now?: () => number;
}

/** One AssumeRoleWithWebIdentity request as the endpoint saw it. */
export interface StsExchange {
  /** Form fields. */
  roleArn: string;
  /** RoleSessionName. */
  roleSessionName: string;
  /** DurationSeconds (NaN when absent). */
  durationSeconds: number;
  /** Verified claims, when the token verified. */
  claims?: JWTPayload;
  /** Error code answered, or `ok`. */
  outcome: string;
}

/** A running local STS. */
export interface StsEndpoint {
  /** Endpoint URL (`http://127.0.0.1:<port>/`). */
  endpoint: string;
  /** Every AssumeRoleWithWebIdentity request received, in order. */
  exchanges: StsExchange[];
  /** Answer every request with this STS error (undefined: answer normally). */
  failWith(code: string | undefined, status?: number): void;
  /** Hold answers until the returned function is called. */
  hold(): () => void;
  /** Stops the server. */
  close(): Promise<void>;
}

const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

function errorXml(code: string, message: string): string {
  const escaped = message.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escaped}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`;
}

function awsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

class StsFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Starts a local STS on 127.0.0.1 (random port). */
export async function startStsEndpoint(options: StsEndpointOptions): Promise<StsEndpoint> {
  const now = options.now ?? Date.now;
  const audience = options.audience ?? "sts.amazonaws.com";
  const exchanges: StsExchange[] = [];
  let forced: { code: string; status: number } | undefined;
  let held: Promise<void> | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  async function keys() {
    if (jwks) return jwks;
    let uri = typeof options.jwksUri === "function" ? options.jwksUri() : options.jwksUri;
    if (uri === undefined) {
      const response = await fetch(`${options.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
      const discovery = (await response.json()) as { issuer?: string; jwks_uri?: string };
      if (!response.ok || discovery.issuer !== options.issuer || !discovery.jwks_uri) {
        throw new StsFailure("IDPCommunicationError", `discovery document of ${options.issuer} is unusable`);
      }
      uri = discovery.jwks_uri;
    }
    jwks = createRemoteJWKSet(new URL(uri));
    return jwks;
  }

  async function assume(fields: URLSearchParams, exchange: StsExchange): Promise<string> {
    if (forced) throw new StsFailure(forced.code, `forced ${forced.code}`, forced.status);
    if (fields.get("Version") !== "2011-06-15") throw new StsFailure("InvalidParameterValue", "Version must be 2011-06-15");
    if (!/^[\w+=,.@-]{2,64}$/.test(exchange.roleSessionName)) throw new StsFailure("ValidationError", "RoleSessionName is invalid");
    const duration = Number.isNaN(exchange.durationSeconds) ? 3600 : exchange.durationSeconds;
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) throw new StsFailure("ValidationError", "DurationSeconds must be 900..43200");
    const token = fields.get("WebIdentityToken") ?? "";
    try {
      const { payload } = await jwtVerify(token, await keys(), {
        issuer: options.issuer,
        audience,
        algorithms: ["RS256"],
        currentDate: new Date(now()),
        requiredClaims: ["sub", "iat", "exp"],
      });
      exchange.claims = payload;
    } catch (error) {
      if (error instanceof StsFailure) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new StsFailure("ExpiredTokenException", "Token expired");
      if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
        throw new StsFailure("IDPCommunicationError", `could not fetch the issuer's keys: ${String(error)}`);
      }
      throw new StsFailure("InvalidIdentityToken", `token rejected: ${(error as Error).message}`);
    }
    if (exchange.roleArn !== options.roleArn) throw new StsFailure("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403);
    const expiration = now() + (options.lifetimeSeconds ?? duration) * 1000;
    const sessionToken = options.credentials.sessionToken ?? `session-${crypto.randomUUID()}`;
    return (
      `<AssumeRoleWithWebIdentityResponse xmlns="${NS}"><AssumeRoleWithWebIdentityResult>` +
      `<SubjectFromWebIdentityToken>${exchange.claims.sub}</SubjectFromWebIdentityToken><Audience>${audience}</Audience>` +
      `<AssumedRoleUser><Arn>${options.roleArn}/${exchange.roleSessionName}</Arn><AssumedRoleId>AROATEST:${exchange.roleSessionName}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><SessionToken>${sessionToken}</SessionToken><SecretAccessKey>${options.credentials.secretAccessKey}</SecretAccessKey>` +
      `<Expiration>${awsTime(expiration)}</Expiration><AccessKeyId>${options.credentials.accessKeyId}</AccessKeyId></Credentials>` +
      `<Provider>${options.issuer}</Provider></AssumeRoleWithWebIdentityResult>` +
      `<ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`
    );
  }

  const server = createServer((request, response) => {
    void (async () => {
      const fields = new URLSearchParams(await readBody(request));
      if (request.method !== "POST" || fields.get("Action") !== "AssumeRoleWithWebIdentity") {
        response.writeHead(400, { "content-type": "text/xml" }).end(errorXml("InvalidAction", "only AssumeRoleWithWebIdentity"));
        return;
      }
      const exchange: StsExchange = {
        roleArn: fields.get("RoleArn") ?? "",
        roleSessionName: fields.get("RoleSessionName") ?? "",
        durationSeconds: Number(fields.get("DurationSeconds") ?? Number.NaN),
        outcome: "ok",
      };
      exchanges.push(exchange);
      let status = 200;
      let body: string;
      try {
        body = await assume(fields, exchange);
      } catch (error) {
        const failure = error instanceof StsFailure ? error : new StsFailure("InternalFailure", String(error), 500);
        exchange.outcome = failure.code;
        status = failure.status;
        body = errorXml(failure.code, failure.message);
      }
      if (held) await held;
      response.writeHead(status, { "content-type": "text/xml" }).end(body);
    })().catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    exchanges,
    failWith(code, status = 403) {
      forced = code === undefined ? undefined : { code, status };
    },
    hold() {
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held = undefined;
        release();
      };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
