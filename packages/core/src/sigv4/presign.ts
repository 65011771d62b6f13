/**
 * SigV4 query signing (presigned URLs) with S3's rules, for backends that forward object requests through presigned
 * URLs. It runs once per forwarded request, so it keeps the day's scope and signing key, formats the timestamp once
 * per second and builds the canonical request in one pass: with node:crypto installed a presign costs one SHA-256
 * and one HMAC over strings.
 */
import { uriEncode } from "../encoding.js";
import { canonicalHeaderValue, sha256Hex, stringToSign } from "./canonical-request.js";
import { canonicalBytes, isPastAscii } from "../header-text.js";
import { signHex, signingKeyNow } from "./signing-key.js";
import type { HmacKey } from "../crypto-primitives.js";
import type { MaybePromise } from "../maybe-promise.js";

/** Credentials a presigner signs with; a session token goes into `X-Amz-Security-Token`. */
export interface SigV4Credentials {
  /** Access key id. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Session token of temporary credentials. */
  sessionToken?: string;
}

/** One URL to presign. */
export interface PresignRequest {
  /** HTTP method. */
  method: string;
  /** Scheme and authority, `https://host[:port]`, without a trailing slash. */
  origin: string;
  /** The `Host` header the request will carry (`host[:port]`, the port only when not the scheme's default). */
  host: string;
  /** The path, already URI-encoded once with S3's rules (it is signed as it is). */
  path: string;
  /** Decoded query parameters to sign and send besides the `X-Amz-*` ones. */
  query?: readonly (readonly [string, string])[];
  /** Headers to sign (lowercase names, `host` excluded); the request must send them unchanged. */
  headers?: Readonly<Record<string, string>>;
  /** Payload hash to sign: `UNSIGNED-PAYLOAD` (the default) or a hex SHA-256 the backend will check. */
  payloadHash?: string;
  /** Lifetime in seconds (1..604800). */
  expiresIn: number;
}

/** Presigns requests for one set of credentials, region and service. */
export type Presigner = (request: PresignRequest) => Promise<string>;

let formattedSecond = -1;
let formattedDate = "";

/** `YYYYMMDDTHHMMSSZ` of a time in ms, formatted at most once per second. */
export function amzDateOf(time: number): string {
  const second = Math.floor(time / 1000);
  if (second !== formattedSecond) {
    formattedSecond = second;
    formattedDate = new Date(second * 1000).toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z";
  }
  return formattedDate;
}

function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** Creates a presigner. `now` is the clock (ms), for tests. */
export function createPresigner(credentials: SigV4Credentials, region: string, service = "s3", now: () => number = Date.now): Presigner {
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  const encodedToken = sessionToken === undefined ? undefined : uriEncode(sessionToken);
  let day: { date: string; scope: string; credential: string; key: MaybePromise<HmacKey> } | undefined;

  return async function presign(request) {
    const amzDate = amzDateOf(now());
    const date = amzDate.slice(0, 8);
    if (day?.date !== date) {
      const scope = `${date}/${region}/${service}/aws4_request`;
      day = { date, scope, credential: uriEncode(`${accessKeyId}/${scope}`), key: signingKeyNow(secretAccessKey, date, region, service) };
    }
    const headers = request.headers;
    const names = ["host"];
    if (headers) for (const name in headers) if (name !== "host") names.push(name);
    names.sort();
    let canonicalHeaders = "";
    for (const name of names) {
      const value = name === "host" ? request.host : headers![name]!;
      canonicalHeaders += `${name}:${canonicalHeaderValue(value)}\n`;
    }
    const signedHeaders = names.join(";");
    const pairs: [string, string][] = [
      ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
      ["X-Amz-Credential", day.credential],
      ["X-Amz-Date", amzDate],
      ["X-Amz-Expires", String(request.expiresIn)],
      ["X-Amz-SignedHeaders", uriEncode(signedHeaders)],
    ];
    if (encodedToken !== undefined) pairs.push(["X-Amz-Security-Token", encodedToken]);
    if (request.query) for (const [name, value] of request.query) pairs.push([uriEncode(name), uriEncode(value)]);
    pairs.sort(byName);
    let query = "";
    for (const [name, value] of pairs) query += query === "" ? `${name}=${value}` : `&${name}=${value}`;
    const payloadHash = request.payloadHash ?? "UNSIGNED-PAYLOAD";
    const canonical = `${request.method}\n${request.path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
    // Header values past ASCII go out as the runtime holds them: bytes on Node, which is what the store hashes.
    const digest = await sha256Hex(isPastAscii(canonicalHeaders) ? canonicalBytes(canonical) : canonical);
    const signature = await signHex(await day.key, stringToSign(amzDate, day.scope, digest));
    return `${request.origin}${request.path}?${query}&X-Amz-Signature=${signature}`;
  };
}
