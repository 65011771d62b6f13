/** The STS endpoint: AssumeRoleWithWebIdentity on a path of its own (default `/.sts`) and on `POST /`. */
import type { GatewayRequest, PlainResponse, Route, RouteContext } from "@multistore/core";
import { escapeXml } from "@multistore/core/backend";
import type { RoleDefinition } from "@multistore/config";
import { STS_NAMESPACE, StsError, stsErrorResponse, stsXmlResponse } from "./errors.js";
import { createJwksCache, type JwksCache } from "./jwks.js";
import { expandScopes, newAccessKeyId, newSecretAccessKey, sessionDuration } from "./mint.js";
import { assumeRoleParams, isFormRequest, readStsParams } from "./params.js";
import type { SessionTokenSealer } from "./sealer.js";
import { inspectWebIdentityToken, notAuthorized, verifyWebIdentityToken } from "./verify.js";

/** The role fields STS uses. */
export type StsRole = Pick<
  RoleDefinition,
  "role_id" | "trusted_oidc_issuers" | "required_audiences" | "subject_conditions" | "max_session_duration_secs" | "allowed_scopes"
>;

/** Options of `createStsRoute`. */
export interface StsRouteOptions {
  /** The roles (e.g. `config.roles`), or a lookup by `role_id`. */
  roles: readonly StsRole[] | ((roleId: string) => StsRole | undefined | Promise<StsRole | undefined>);
  /** Seals the minted credentials into session tokens (the same keys must reach `createSessionTokenResolver`). */
  sealer: SessionTokenSealer;
  /** Path of the STS endpoint (default `/.sts`; a trailing `/` is accepted too). */
  path?: string;
  /** Also answer `POST /` with a form body naming an `Action` (what unmodified SDK STS clients send; default true). */
  rootPost?: boolean;
  /**
   * TEST ONLY: accept `http://` OIDC issuers on loopback hosts (for a local test issuer). Without it issuers and
   * their `jwks_uri` must be `https://`.
   */
  allowInsecureIssuers?: boolean;
  /** The `fetch` used for discovery and JWKS (default the global one). */
  fetch?: typeof fetch;
  /** Clock in ms, for tests (default `Date.now`). */
  now?: () => number;
  /** JWKS cache lifetime (default 10 min). */
  jwksTtlMs?: number;
  /** Minimum interval between refetches for unknown kids, per issuer (default 30 s). */
  jwksRefetchIntervalMs?: number;
  /**
   * Whether concurrent STS requests share one in-flight JWKS fetch per issuer (default true). Set false on Cloudflare
   * Workers, where awaiting a promise created by another request can hang once that request ends; each request on a
   * cold cache then fetches for itself (see `JwksCacheOptions.shareInFlight`).
   */
  jwksShareInFlight?: boolean;
  /** Called with failures that are not the caller's fault (500s), for logging. */
  onError?: (error: unknown) => void;
}

/**
 * Finds the role a `RoleArn` names: a role id, or an ARN (`arn:...:role/path/<role_id>`) ending in one, which is looked
 * up by its role id first (a role of the config file is found without asking a registry behind it), then whole. A
 * registry that fails is a 503: the caller may retry.
 */
async function findRole(roles: StsRouteOptions["roles"], roleArn: string): Promise<StsRole | undefined> {
  const lookup = typeof roles === "function" ? roles : (id: string) => roles.find((role) => role.role_id === id);
  const slash = roleArn.startsWith("arn:") ? roleArn.lastIndexOf("/") : -1;
  try {
    if (slash === -1) return await lookup(roleArn);
    return (await lookup(roleArn.slice(slash + 1))) ?? (await lookup(roleArn));
  } catch (error) {
    throw new StsError("ServiceUnavailable", "The role could not be looked up; try again.", { cause: error });
  }
}

/** AWS's timestamp format for STS (`2025-01-01T00:00:00Z`). */
function stsDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const element = (name: string, value: string) => `<${name}>${escapeXml(value)}</${name}>`;

/** Runs AssumeRoleWithWebIdentity for already-read parameters. */
async function assumeRole(params: URLSearchParams, options: StsRouteOptions, keys: JwksCache, requestId: string): Promise<PlainResponse<never>> {
  const request = assumeRoleParams(params);
  const now = options.now?.() ?? Date.now();
  // What the token says whatever the role is checked first; then an unknown role answers as everything the role
  // refuses does (see notAuthorized), so role ids cannot be probed.
  const inspected = await inspectWebIdentityToken(request.token, now);
  const role = await findRole(options.roles, request.roleArn);
  if (!role) throw notAuthorized("No such role.");
  const verified = await verifyWebIdentityToken(request.token, role, keys, now, inspected);
  const duration = sessionDuration(request.durationSeconds, role.max_session_duration_secs);
  const expiresAt = new Date(Math.floor(now / 1000) * 1000 + duration * 1000);
  const accessKeyId = newAccessKeyId();
  const secretAccessKey = newSecretAccessKey();
  const sessionToken = await options.sealer.seal({
    accessKeyId,
    secretAccessKey,
    principalName: `assumed-role/${role.role_id}/${request.sessionName}`,
    expiresAt,
    scopes: expandScopes(role.allowed_scopes, verified.claims),
    roleId: role.role_id,
    subject: verified.subject,
  });
  const result =
    element("SubjectFromWebIdentityToken", verified.subject) +
    (verified.audience !== undefined ? element("Audience", verified.audience) : "") +
    "<AssumedRoleUser>" +
    element("Arn", `arn:aws:sts:::assumed-role/${role.role_id}/${request.sessionName}`) +
    element("AssumedRoleId", `${role.role_id}:${request.sessionName}`) +
    "</AssumedRoleUser><Credentials>" +
    element("AccessKeyId", accessKeyId) +
    element("SecretAccessKey", secretAccessKey) +
    element("SessionToken", sessionToken) +
    element("Expiration", stsDate(expiresAt)) +
    "</Credentials>" +
    element("Provider", verified.issuer);
  return stsXmlResponse(
    200,
    `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NAMESPACE}"><AssumeRoleWithWebIdentityResult>${result}</AssumeRoleWithWebIdentityResult>` +
      `<ResponseMetadata>${element("RequestId", requestId)}</ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
    requestId,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The STS routes for core's gateway (`GatewayOptions.routes`): GET or POST on `path` (default `/.sts`), parameters in
 * the query string or an `application/x-www-form-urlencoded` body (at most 64 KiB), and `POST /` (no query string)
 * with a form body that names an `Action` (SDK STS clients pointed at the proxy); other `POST /` requests are declined and go on to S3.
 * Answers are AWS STS XML documents, errors included (`ErrorResponse`). Role not found answers 403 AccessDenied.
 */
export function createStsRoute(options: StsRouteOptions): Route[] {
  const keys = createJwksCache({
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.now && { now: options.now }),
    ...(options.jwksTtlMs !== undefined && { ttlMs: options.jwksTtlMs }),
    ...(options.jwksRefetchIntervalMs !== undefined && { refetchIntervalMs: options.jwksRefetchIntervalMs }),
    ...(options.jwksShareInFlight !== undefined && { shareInFlight: options.jwksShareInFlight }),
    allowInsecureIssuers: options.allowInsecureIssuers === true,
  });
  const path = (options.path ?? "/.sts").replace(/\/+$/, "");
  if (!path.startsWith("/") || path === "") throw new Error(`STS path must start with "/" and not be "/" (got "${options.path}")`);

  async function answer(run: () => Promise<PlainResponse<never> | undefined>, context: RouteContext) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof StsError) || error.status >= 500) options.onError?.(error);
      return stsErrorResponse(error, context.requestId);
    }
  }

  const pathRoute: Route = {
    method: "*",
    path: new RegExp(`^${escapeRegExp(path)}/?$`),
    handler: (request: GatewayRequest<unknown>, context) =>
      answer(async () => {
        if (request.method !== "GET" && request.method !== "POST") {
          throw new StsError("InvalidAction", "STS requests use GET or POST.");
        }
        return assumeRole(await readStsParams(request, context.url), options, keys, context.requestId);
      }, context),
  };
  const rootRoute: Route = {
    method: "POST",
    path: "/",
    handler: (request: GatewayRequest<unknown>, context) => {
      // S3 never posts a form to `/`; anything else is not ours and its body must stay unread. SDK STS clients send no
      // query string, while S3 requests to `/` with one (`POST /?delete` on a virtual host) must keep their body.
      if (!isFormRequest(request) || context.url.search !== "") return undefined;
      return answer(async () => {
        const params = await readStsParams(request, context.url);
        if (!params.has("Action")) return undefined;
        return assumeRole(params, options, keys, context.requestId);
      }, context);
    },
  };
  return options.rootPost === false ? [pathRoute] : [pathRoute, rootRoute];
}
