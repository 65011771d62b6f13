/**
 * V4 signed-URL verification for the GCS test server, written independently of the backend's signer: it rebuilds
 * the canonical request from what actually arrived (raw path, query, headers) and checks the RSA signature with the
 * service account's public key. Every check can fail, and the tests prove each does.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** A service account the test server trusts. */
export interface TestServiceAccount {
  /** Its email (the credential in `X-Goog-Credential`). */
  clientEmail: string;
  /** The key file, as a JSON string (what `service_account_key` holds). */
  keyJson: string;
  /** Its public key, which verifies signatures. */
  publicKey: KeyObject;
}

/** A refusal: the XML API's status and error code. */
export interface AuthFailure {
  status: number;
  code: string;
  message: string;
}

/** A throwaway service account with a fresh RSA key (or the one in `keyJson`). */
export function testServiceAccount(keyJson?: string): TestServiceAccount {
  if (keyJson !== undefined) {
    const parsed = JSON.parse(keyJson) as { client_email: string; private_key: string };
    return { clientEmail: parsed.client_email, keyJson, publicKey: createPublicKey(createPrivateKey(parsed.private_key)) };
  }
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const clientEmail = `multistore-test-${randomBytes(3).toString("hex")}@test-project.iam.gserviceaccount.com`;
  const json = JSON.stringify({
    type: "service_account",
    project_id: "test-project",
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    client_email: clientEmail,
    client_id: "100000000000000000000",
    token_uri: "https://oauth2.googleapis.com/token",
  });
  return { clientEmail, keyJson: json, publicKey };
}

/** RFC 3986 encoding, as V4 canonicalizes query names and values. */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const refuse = (message: string): AuthFailure => ({ status: 403, code: "SignatureDoesNotMatch", message });
const invalid = (message: string): AuthFailure => ({ status: 400, code: "InvalidArgument", message });

/** A request as it arrived: method, raw (still encoded) path, decoded query pairs and headers. */
export interface ArrivedRequest {
  method: string;
  rawPath: string;
  query: [string, string][];
  headers: IncomingHttpHeaders;
}

/**
 * Verifies a V4 signed URL; undefined when it holds. Refuses a missing or malformed parameter (400), a signature
 * over anything else than what arrived or by another key (403 SignatureDoesNotMatch), an expired one (400
 * ExpiredToken) and unsigned `x-goog-*` headers (which Google requires to be signed).
 */
export function verifySignedRequest(request: ArrivedRequest, accounts: Map<string, KeyObject>, now: Date): AuthFailure | undefined {
  const params = new Map(request.query);
  const algorithm = params.get("X-Goog-Algorithm");
  const credential = params.get("X-Goog-Credential");
  const date = params.get("X-Goog-Date");
  const expires = params.get("X-Goog-Expires");
  const signedHeaders = params.get("X-Goog-SignedHeaders");
  const signature = params.get("X-Goog-Signature");
  if (!algorithm || !credential || !date || !expires || !signedHeaders || !signature) return invalid("Missing X-Goog-* signing parameter.");
  if (algorithm !== "GOOG4-RSA-SHA256") return invalid(`Unsupported X-Goog-Algorithm ${algorithm}.`);
  const [email, day, location, service, terminator, ...rest] = credential.split("/");
  if (!email || !day || location !== "auto" || service !== "storage" || terminator !== "goog4_request" || rest.length > 0) return invalid("Malformed X-Goog-Credential.");
  if (!/^\d{8}T\d{6}Z$/.test(date) || !date.startsWith(day)) return invalid("X-Goog-Date does not match the credential scope.");
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > 604_800) return invalid("X-Goog-Expires must be 1..604800.");
  const signedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  if (now.getTime() > signedAt + Number(expires) * 1000) {
    return { status: 400, code: "ExpiredToken", message: `The provided token has expired. Request signature expired at: ${new Date(signedAt + Number(expires) * 1000).toISOString()}` };
  }
  if (signedAt > now.getTime() + 15 * 60_000) return refuse("Request is not yet valid (X-Goog-Date is in the future).");
  const publicKey = accounts.get(email);
  if (!publicKey) return refuse(`Unknown service account ${email}.`);
  const names = signedHeaders.split(";");
  if (!names.includes("host") || names.some((name, index) => name !== name.toLowerCase() || (index > 0 && compare(names[index - 1]!, name) >= 0))) {
    return refuse("X-Goog-SignedHeaders must be sorted, lowercase, unique and include host.");
  }
  const unsigned = Object.keys(request.headers).find((name) => name.startsWith("x-goog-") && !names.includes(name));
  if (unsigned) return refuse(`Header ${unsigned} must be signed.`);
  const canonicalHeaders: string[] = [];
  for (const name of names) {
    const raw = request.headers[name];
    if (raw === undefined) return refuse(`Signed header ${name} is missing from the request.`);
    // Google signs the host without its port (see the V4 conformance vectors).
    const value = name === "host" ? String(raw).replace(/:\d+$/, "") : Array.isArray(raw) ? raw.join(",") : raw;
    canonicalHeaders.push(`${name}:${value.trim().replace(/\s+/g, " ")}\n`);
  }
  const query = request.query
    .filter(([name]) => name !== "X-Goog-Signature")
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const payload = names.includes("x-goog-content-sha256") ? String(request.headers["x-goog-content-sha256"]) : "UNSIGNED-PAYLOAD";
  const canonicalRequest = [request.method, request.rawPath, query, canonicalHeaders.join(""), signedHeaders, payload].join("\n");
  const stringToSign = ["GOOG4-RSA-SHA256", date, `${day}/auto/storage/goog4_request`, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  if (!/^[0-9a-f]+$/i.test(signature) || !verify("sha256", Buffer.from(stringToSign), publicKey, Buffer.from(signature, "hex"))) {
    return refuse(`The request signature we calculated does not match the signature you provided. StringToSign: ${JSON.stringify(stringToSign)}`);
  }
  return undefined;
}

/** How a request authenticated: a V4 signed URL, an OAuth bearer token, or nothing. */
export type GcsAuthKind = "v4" | "bearer" | "anonymous";

/** What authenticates requests to the test server. */
export interface GcsAuthPolicy {
  /** Service accounts whose V4 signatures hold. */
  accounts: Map<string, KeyObject>;
  /** Serve requests without credentials. */
  allowAnonymous?: boolean;
  /** Accept `Authorization: Bearer <token>` when this says so; without it bearer tokens are not looked at. */
  acceptBearer?: (token: string) => boolean | Promise<boolean>;
}

/** The auth kind of a request and, when it is refused, why. */
export interface AuthOutcome {
  /** What the request presented (a refused request keeps the kind it tried). */
  kind: GcsAuthKind;
  /** Why it was refused; absent when it may proceed. */
  failure?: AuthFailure;
}

const ANONYMOUS_REFUSED: AuthFailure = {
  status: 403,
  code: "AccessDenied",
  message: "Anonymous caller does not have storage.objects access (this server accepts V4 signed URLs only).",
};

/**
 * Authenticates a request. Without `acceptBearer` this is the server's original behaviour: a signed URL is
 * verified, any other request is refused (403) unless anonymous access is allowed, an `Authorization` header
 * included. With it, an unsigned request with `Authorization: Bearer <t>` passes when `acceptBearer(t)` holds and
 * is otherwise 401 AuthenticationRequired, the XML API's answer to a missing, invalid or expired OAuth credential;
 * a signed URL that also carries an `Authorization` header is ambiguous and refused (400).
 */
export async function authenticateRequest(request: ArrivedRequest, policy: GcsAuthPolicy, now: Date): Promise<AuthOutcome> {
  const signed = request.query.some(([name]) => name.startsWith("X-Goog-"));
  const authorization = request.headers.authorization;
  const { acceptBearer } = policy;
  if (signed) {
    if (acceptBearer && authorization !== undefined) {
      return { kind: "v4", failure: invalid("A request may carry either a V4 signature or an Authorization header, not both.") };
    }
    const failure = verifySignedRequest(request, policy.accounts, now);
    return failure ? { kind: "v4", failure } : { kind: "v4" };
  }
  if (acceptBearer && authorization !== undefined) {
    const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (token !== undefined && (await acceptBearer(token))) return { kind: "bearer" };
    return { kind: token === undefined ? "anonymous" : "bearer", failure: { status: 401, code: "AuthenticationRequired", message: "Authentication required." } };
  }
  if (authorization !== undefined || !policy.allowAnonymous) return { kind: "anonymous", failure: ANONYMOUS_REFUSED };
  return { kind: "anonymous" };
}
