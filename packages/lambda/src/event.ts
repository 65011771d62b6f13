/**
 * The events and results of payload format 2.0, shared by API Gateway HTTP APIs and Lambda Function URLs, as AWS
 * documents them ("Working with AWS Lambda proxy integrations for HTTP APIs", "Lambda function URLs: request and
 * response payloads"), and the translation of an event into what the gateway reads.
 */
import { headerValueOf } from "@multistore/core/runtime";

/** An HTTP request as Lambda receives it (payload format 2.0). Fields the gateway does not read are left out. */
export interface LambdaHttpEvent {
  version?: string;
  /** The path as the client sent it (percent-encoding kept). */
  rawPath: string;
  /** The query string as the client sent it, without `?` (empty when there is none). */
  rawQueryString?: string;
  /** Cookies, when the request had any (taken out of `headers`). */
  cookies?: string[];
  /** Header names lowercase; repeated headers joined with commas. */
  headers?: Record<string, string | undefined>;
  requestContext: {
    /** The endpoint's host name (`<id>.execute-api.<region>.amazonaws.com`, `<id>.lambda-url.<region>.on.aws`). */
    domainName?: string;
    /** An HTTP API's stage (`$default`, or a name that then starts `rawPath`: `/prod/bucket/key`). */
    stage?: string;
    http: {
      method: string;
      /** The client's address. */
      sourceIp?: string;
    };
  };
  /** The body: text, or base64 when `isBase64Encoded`. */
  body?: string;
  isBase64Encoded?: boolean;
}

/** What a handler returns (payload format 2.0). */
export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  /** Base64 of the body (always, so binary objects survive). */
  body: string;
  isBase64Encoded: boolean;
}

/** The parts of an event the gateway reads. */
export interface EventRequest {
  method: string;
  target: string;
  headers: Headers;
  /** The body (after a form upload's head was read: what follows it). */
  body: Uint8Array | null;
  /** Bytes of the body's head the gateway read (a form upload's fields): received too. */
  headLength?: number;
  clientAddress: string | undefined;
  /** The raw path the client signed, when a base path was taken off the target. */
  signedPath?: string;
}

/** Checks a handler's `basePath` option: `""`, or whole segments (`/s3`, `/v1/data`) without a trailing slash. */
export function checkBasePath(handler: string, basePath: string | undefined): void {
  if (basePath === undefined || basePath === "" || /^(\/[^/?#\s]+)+$/.test(basePath)) return;
  throw new TypeError(`${handler}: basePath must be "" or path segments such as "/s3" (got ${JSON.stringify(basePath)})`);
}

/**
 * The prefix of `rawPath` that names no bucket: `basePath` when given (`""`: none), else a named stage of an HTTP API,
 * which API Gateway puts in front of the path (`/prod/bucket/key` on `https://<id>.execute-api.<region>.amazonaws.com/prod`).
 */
function basePathOf(event: LambdaHttpEvent, basePath: string | undefined): string {
  if (basePath !== undefined) return basePath;
  const stage = event.requestContext.stage;
  return stage === undefined || stage === "" || stage === "$default" ? "" : `/${stage}`;
}

/**
 * Translates an event: the request line as sent (less its base path, see `basePathOf`), headers (cookies back in),
 * the body decoded.
 */
export function requestFromEvent(event: LambdaHttpEvent, basePath?: string): EventRequest {
  const headers = new Headers();
  // Events carry the text the client's UTF-8 decoded to (a CDN's `cf-ipcity: São Paulo`, metadata curl and the Go SDK
  // send raw), which Node's `Headers` would refuse past U+00FF: taken as its bytes, as the Node server hands a header
  // to the gateway, a signature over it verifies as there.
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, headerValueOf(value));
  if (event.cookies && event.cookies.length > 0 && !headers.has("cookie")) headers.set("cookie", event.cookies.join("; "));
  // Function URLs and HTTP APIs pass the Host the client used; without one, the endpoint's own name is what it used.
  if (!headers.has("host") && event.requestContext.domainName) headers.set("host", event.requestContext.domainName);
  const query = event.rawQueryString ?? "";
  const raw = event.body;
  const body = raw === undefined || raw === null ? null : event.isBase64Encoded ? new Uint8Array(Buffer.from(raw, "base64")) : new TextEncoder().encode(raw);
  const rawPath = event.rawPath || "/";
  const base = basePathOf(event, basePath);
  // Only a whole leading segment (or segments) is a base path: `/prod` and `/prod/...`, never `/production`.
  const based = base !== "" && (rawPath === base || rawPath.startsWith(`${base}/`));
  const path = based ? rawPath.slice(base.length) || "/" : rawPath;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    target: `${path}${query === "" ? "" : `?${query}`}`,
    headers,
    body,
    clientAddress: event.requestContext.http.sourceIp,
    ...(based && { signedPath: rawPath }),
  };
}
