/**
 * CORS for browser clients: preflight `OPTIONS` requests are answered without authentication, and responses to
 * cross-origin requests carry the headers the matching rule allows. Off unless rules are configured (globally or on
 * the bucket; a bucket's own rules replace the global ones).
 */
import { S3Error } from "./errors.js";

/** One CORS rule, in the configuration's snake_case. */
export interface CorsRule {
  /** Origins allowed: exact (`https://app.example.com`), with one `*` wildcard (`https://*.example.com`), or `*`. */
  allowed_origins: string[];
  /** Methods allowed (GET, PUT, POST, DELETE, HEAD). */
  allowed_methods: string[];
  /** Request headers a preflight may ask for; entries may contain one `*` wildcard (`x-amz-*`, `*`). */
  allowed_headers?: string[];
  /** Response headers the browser may read (e.g. `ETag`, `x-amz-request-id`, `Content-Range`). */
  expose_headers?: string[];
  /** How long browsers may cache a preflight answer, in seconds. */
  max_age_secs?: number;
}

function wildcardMatches(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star === -1) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

function originAllowed(rule: CorsRule, origin: string): boolean {
  const lower = origin.toLowerCase();
  return rule.allowed_origins.some((allowed) => allowed === "*" || wildcardMatches(allowed.toLowerCase(), lower));
}

function headersAllowed(rule: CorsRule, requested: string[]): boolean {
  const allowed = (rule.allowed_headers ?? []).map((header) => header.toLowerCase());
  return requested.every((header) => allowed.some((pattern) => pattern === "*" || wildcardMatches(pattern, header)));
}

/** The first rule allowing this origin, method and (for preflights) request headers. */
export function matchCorsRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: string[] = []): CorsRule | undefined {
  const upper = method.toUpperCase();
  return rules.find(
    (rule) => originAllowed(rule, origin) && rule.allowed_methods.some((allowed) => allowed.toUpperCase() === upper) && headersAllowed(rule, requestHeaders),
  );
}

function allowOrigin(rule: CorsRule, origin: string, headers: Headers): void {
  // A wildcard rule answers "*"; otherwise the origin is reflected, and caches must key on it.
  if (rule.allowed_origins.includes("*")) headers.set("access-control-allow-origin", "*");
  else {
    headers.set("access-control-allow-origin", origin);
    headers.append("vary", "Origin");
  }
}

/** Headers for the response to an actual (non-preflight) cross-origin request, when a rule allows it. */
export function corsResponseHeaders(rules: readonly CorsRule[], origin: string | null, method: string): Headers | undefined {
  if (origin === null || rules.length === 0) return undefined;
  const rule = matchCorsRule(rules, origin, method);
  if (!rule) return undefined;
  const headers = new Headers();
  allowOrigin(rule, origin, headers);
  if (rule.expose_headers && rule.expose_headers.length > 0) headers.set("access-control-expose-headers", rule.expose_headers.join(", "));
  return headers;
}

/** Answers a preflight request: 200 with the allowed method and headers, or 403 as S3 does. */
export function preflightResponse(rules: readonly CorsRule[], headers: Headers): { status: number; headers: Headers } {
  const origin = headers.get("origin");
  const method = headers.get("access-control-request-method");
  if (rules.length === 0) {
    throw new S3Error("AccessForbidden", { status: 403, message: "CORSResponse: CORS is not enabled for this bucket." });
  }
  if (origin === null || method === null) {
    throw new S3Error("BadRequest", { status: 400, message: "Insufficient information. Origin request header needed." });
  }
  const requested = (headers.get("access-control-request-headers") ?? "")
    .split(",")
    .map((header) => header.trim().toLowerCase())
    .filter((header) => header !== "");
  const rule = matchCorsRule(rules, origin, method, requested);
  if (!rule) {
    throw new S3Error("AccessForbidden", {
      status: 403,
      message: "CORSResponse: This CORS request is not allowed. The origin, method or requested headers are not allowed by the CORS rules.",
    });
  }
  const out = new Headers();
  allowOrigin(rule, origin, out);
  out.append("vary", "Access-Control-Request-Method");
  out.append("vary", "Access-Control-Request-Headers");
  out.set("access-control-allow-methods", rule.allowed_methods.map((allowed) => allowed.toUpperCase()).join(", "));
  if (requested.length > 0) out.set("access-control-allow-headers", requested.join(", "));
  if (rule.expose_headers && rule.expose_headers.length > 0) out.set("access-control-expose-headers", rule.expose_headers.join(", "));
  if (rule.max_age_secs !== undefined) out.set("access-control-max-age", String(rule.max_age_secs));
  return { status: 200, headers: out };
}

/** The bucket a request names (path-style first segment or virtual-hosted host), without validating anything. */
export function bucketNameOf(target: string, headers: Headers, domain?: string): string | undefined {
  const host = (headers.get("host") ?? "").replace(/:\d+$/, "").toLowerCase();
  if (domain && host.endsWith(`.${domain.toLowerCase()}`)) return host.slice(0, -(domain.length + 1));
  const path = target.split("?")[0] ?? "";
  const segment = path.split("/")[1];
  if (!segment) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
