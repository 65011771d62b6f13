/**
 * Hand-built requests for the payload tests, written independently of the gateway's code: aws-chunked bodies (with
 * trailers, or chunk-signed from a seed signature made by @smithy/signature-v4), and Signature Version 2 with
 * node:crypto's HMAC-SHA1.
 */
import { createHash, createHmac } from "node:crypto";
import { crc32 } from "node:zlib";
import { Sha256 } from "@aws-crypto/sha256-js";
import { DEFAULT_CHECKSUM_FACTORIES, type ChecksumAlgorithm } from "@multistore/core/runtime";
import { SignatureV4 } from "@smithy/signature-v4";
import { rawRequest, signedRawRequest, type KeyPair, type RawResponse } from "./clients.js";

const EMPTY_SHA256 = createHash("sha256").digest("hex");

/** Base64 checksum S3 would compute (node:crypto and zlib where they exist; core's CRC32C/CRC64NVME otherwise). */
export async function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<string> {
  if (algorithm === "sha1" || algorithm === "sha256") return createHash(algorithm).update(data).digest("base64");
  if (algorithm === "crc32") {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(data));
    return out.toString("base64");
  }
  const hash = DEFAULT_CHECKSUM_FACTORIES[algorithm]();
  await hash.update(data);
  return Buffer.from(await hash.digest()).toString("base64");
}

/** Frames chunks as aws-chunked: `size[;chunk-signature=..]\r\n data \r\n`, the final chunk, then trailer lines. */
export function frameAwsChunked(chunks: Buffer[], options: { signatures?: string[]; trailers?: string[] } = {}): Buffer {
  const parts: Buffer[] = [];
  [...chunks, Buffer.alloc(0)].forEach((chunk, index) => {
    const signature = options.signatures ? `;chunk-signature=${options.signatures[index]}` : "";
    parts.push(Buffer.from(`${chunk.length.toString(16)}${signature}\r\n`));
    if (chunk.length > 0) parts.push(chunk, Buffer.from("\r\n"));
  });
  parts.push(Buffer.from((options.trailers ?? []).map((line) => `${line}\r\n`).join("") + "\r\n"));
  return Buffer.concat(parts);
}

/** PUT of an unsigned aws-chunked body with a trailer (what SDKs send for streams), request signed with SigV4. */
export function trailerUpload(endpoint: string, credentials: KeyPair, path: string, data: Buffer, trailer: { name: string; value: string }): Promise<RawResponse> {
  const body = frameAwsChunked([data.subarray(0, 70_000), data.subarray(70_000)].filter((chunk) => chunk.length > 0), { trailers: [`${trailer.name}:${trailer.value}`] });
  return signedRawRequest(endpoint, credentials, {
    method: "PUT",
    path,
    headers: {
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(data.length),
      "x-amz-trailer": trailer.name,
    },
    body,
  });
}

const hmac = (key: Buffer | string, text: string) => createHmac("sha256", key).update(text, "utf8").digest();

/**
 * PUT of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body: the request is signed by the SDK's signer (the seed), each chunk
 * is signed here from it. `corrupt` flips a byte of the last chunk after signing, so its signature no longer fits.
 */
export async function signedStreamingUpload(endpoint: string, credentials: KeyPair, path: string, chunks: Buffer[], corrupt = false): Promise<RawResponse> {
  const url = new URL(endpoint);
  const decoded = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const framedLength = frameAwsChunked(chunks, { signatures: chunks.map(() => "0".repeat(64)).concat("0".repeat(64)) }).length;
  const signer = new SignatureV4({ credentials, region: "us-east-1", service: "s3", sha256: Sha256, uriEscapePath: false });
  const signed = await signer.sign({
    method: "PUT",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query: {},
    headers: {
      host: url.host,
      "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(decoded),
      "content-length": String(framedLength),
    },
  });
  const headers = signed.headers as Record<string, string>;
  const amzDate = headers["x-amz-date"]!;
  const seed = /Signature=([0-9a-f]{64})/.exec(headers.authorization!)![1]!;
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  let key = hmac(`AWS4${credentials.secretAccessKey}`, amzDate.slice(0, 8));
  for (const part of ["us-east-1", "s3", "aws4_request"]) key = hmac(key, part);
  let previous = seed;
  const signatures = [...chunks, Buffer.alloc(0)].map((chunk) => {
    const digest = createHash("sha256").update(chunk).digest("hex");
    previous = hmac(key, ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope, previous, EMPTY_SHA256, digest].join("\n")).toString("hex");
    return previous;
  });
  const sent = chunks.map((chunk) => Buffer.from(chunk));
  const last = sent[sent.length - 1];
  if (corrupt && last) last[0] = last[0]! ^ 0xff;
  return rawRequest(endpoint, { method: "PUT", path, headers, body: frameAwsChunked(sent, { signatures }) });
}

/** SigV2 signature (base64 HMAC-SHA1) of a string to sign. */
export function sigV2Signature(secret: string, stringToSign: string): string {
  return createHmac("sha1", secret).update(stringToSign, "utf8").digest("base64");
}

/**
 * A SigV2 header-authenticated request: `path` is path-style and is the canonical resource as well (sub-resources
 * included, in sorted order, as the caller wrote them).
 */
export function sigV2Request(
  endpoint: string,
  credentials: KeyPair,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string; date?: Date; tamper?: (stringToSign: string) => string },
): Promise<RawResponse> {
  const headers: Record<string, string> = { date: (options.date ?? new Date()).toUTCString(), ...options.headers };
  const amz = Object.keys(headers)
    .filter((name) => name.toLowerCase().startsWith("x-amz-"))
    .sort()
    .map((name) => `${name.toLowerCase()}:${headers[name]!.trim()}\n`)
    .join("");
  const date = headers["x-amz-date"] !== undefined ? "" : headers.date!;
  let stringToSign = `${options.method}\n${headers["content-md5"] ?? ""}\n${headers["content-type"] ?? ""}\n${date}\n${amz}${options.path}`;
  if (options.tamper) stringToSign = options.tamper(stringToSign);
  headers.authorization = `AWS ${credentials.accessKeyId}:${sigV2Signature(credentials.secretAccessKey, stringToSign)}`;
  if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
  return rawRequest(endpoint, { method: options.method, path: options.path, headers, ...(options.body !== undefined && { body: options.body }) });
}

/** A SigV2 presigned path (`AWSAccessKeyId`, `Expires`, `Signature`) for a path-style resource, no Content-Type. */
export function sigV2PresignedPath(credentials: KeyPair, options: { method: string; path: string; expires: number; resource?: string }): string {
  // `resource` is what is signed when it differs from the wire path (sub-resource values are signed decoded).
  const stringToSign = `${options.method}\n\n\n${options.expires}\n${options.resource ?? options.path}`;
  const signature = encodeURIComponent(sigV2Signature(credentials.secretAccessKey, stringToSign));
  const separator = options.path.includes("?") ? "&" : "?";
  return `${options.path}${separator}AWSAccessKeyId=${credentials.accessKeyId}&Expires=${options.expires}&Signature=${signature}`;
}
