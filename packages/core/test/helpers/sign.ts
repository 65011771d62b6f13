/**
 * An independent SigV4 client for tests: requests are signed with @smithy/signature-v4 (what the AWS SDKs use), so
 * the gateway's verifier is checked against a signer that shares none of its code.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";

/** A fixed clock: 2024-01-01T12:00:00Z. */
export const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);

export interface Signer {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region?: string;
}

export interface UnsignedRequest {
  method: string;
  /** Raw (already percent-encoded) path. */
  path: string;
  /** Decoded query parameters. */
  query?: Record<string, string>;
  headers?: Record<string, string>;
  host?: string;
  /** When the request is signed (default NOW). */
  date?: number;
  /** Do not add x-amz-content-sha256 (header auth only). */
  noPayloadHash?: boolean;
}

/** AWS URI encoding of one query component. */
export function awsEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

function targetOf(path: string, query: Record<string, string | string[] | null> = {}): string {
  const parts = Object.entries(query).map(([name, value]) => `${awsEncode(name)}=${awsEncode(String(value ?? ""))}`);
  return parts.length === 0 ? path : `${path}?${parts.join("&")}`;
}

function signerFor(credentials: Signer, applyChecksum: boolean): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken !== undefined && { sessionToken: credentials.sessionToken }),
    },
    region: credentials.region ?? "us-east-1",
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum,
  });
}

function httpRequest(request: UnsignedRequest) {
  const host = request.host ?? "localhost:8080";
  return {
    method: request.method,
    protocol: "http:",
    hostname: host.replace(/:\d+$/, ""),
    path: request.path,
    query: { ...request.query },
    headers: { host, ...request.headers } as Record<string, string>,
  };
}

/** Signs with an Authorization header. Returns the request target and headers to send. */
export async function signWithHeader(credentials: Signer, request: UnsignedRequest): Promise<{ target: string; headers: Headers }> {
  const signed = await signerFor(credentials, !request.noPayloadHash).sign(httpRequest(request), {
    signingDate: new Date(request.date ?? NOW),
  });
  return { target: targetOf(signed.path, signed.query), headers: new Headers(signed.headers as Record<string, string>) };
}

/**
 * Signs as a presigned URL: UNSIGNED-PAYLOAD, as S3 presigners do, unless `payloadHash` is given: then the payload
 * hash signed is that one, sent as the x-amz-content-sha256 header (as smithy's presigner does with that header).
 */
export async function presign(
  credentials: Signer,
  request: UnsignedRequest,
  expiresIn = 3600,
  payloadHash?: string,
): Promise<{ target: string; headers: Headers }> {
  const unsigned = httpRequest(request);
  unsigned.headers["x-amz-content-sha256"] = payloadHash ?? "UNSIGNED-PAYLOAD";
  const skip = new Set(["x-amz-content-sha256"]);
  const signed = await signerFor(credentials, false).presign(unsigned, {
    signingDate: new Date(request.date ?? NOW),
    expiresIn,
    unhoistableHeaders: skip,
    unsignableHeaders: skip,
  });
  const headers = new Headers(signed.headers as Record<string, string>);
  if (payloadHash === undefined) headers.delete("x-amz-content-sha256");
  return { target: targetOf(signed.path, signed.query), headers };
}
