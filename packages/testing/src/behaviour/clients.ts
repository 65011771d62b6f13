/** Clients the behaviour suite talks through: the AWS SDK for JavaScript v3, and raw HTTP for what SDKs won't send. */
import { createHash, createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";

/** An access key pair. */
export interface KeyPair {
  /** Access key id. */
  accessKeyId: string;
  /** Secret. */
  secretAccessKey: string;
}

/**
 * An SDK client for the gateway, path-style, with default (checksum-sending) settings unless overridden. `target` is
 * an endpoint, or a world whose runtime needs client defaults (see `RuntimeExceptions.noExpectContinue`).
 */
export function sdkClient(
  target: string | { endpoint: string; sdkDefaults?: Partial<S3ClientConfig> },
  credentials?: KeyPair,
  extra: Partial<S3ClientConfig> = {},
): S3Client {
  const endpoint = typeof target === "string" ? target : target.endpoint;
  const defaults = typeof target === "string" ? {} : (target.sdkDefaults ?? {});
  const client = new S3Client({
    ...defaults,
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: credentials ?? { accessKeyId: "anonymous", secretAccessKey: "anonymous" },
    ...extra,
  });
  if (!credentials) {
    // Anonymous: strip what the signer added, so the request reaches the gateway unsigned.
    client.middlewareStack.addRelativeTo(
      ((next: (args: unknown) => Promise<unknown>) => async (args: { request: unknown }) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        for (const name of Object.keys(headers)) {
          if (/^(authorization|x-amz-date|x-amz-security-token)$/i.test(name)) delete headers[name];
        }
        return next(args);
      }) as never,
      { relation: "after", toMiddleware: "httpSigningMiddleware", name: "anonymousMiddleware" },
    );
  }
  return client;
}

/** A raw HTTP response. */
export interface RawResponse {
  /** Status. */
  status: number;
  /** Headers (lowercase names). */
  headers: Record<string, string | string[] | undefined>;
  /** Body bytes. */
  body: Buffer;
  /** Body as text. */
  text: string;
}

/** Sends a request with the path exactly as given (no URL normalization, unlike fetch). */
export function rawRequest(endpoint: string, options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<RawResponse> {
  const url = new URL(endpoint);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      // A connection per request (agent: false): a test that ends with the server closing a connection (an early
      // answer to an upload) must not leave a dead keep-alive socket for the next test to reuse (ECONNRESET).
      { host: url.hostname, port: url.port, method: options.method, path: options.path, headers: options.headers ?? {}, rejectUnauthorized: false, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString("utf8") });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/**
 * A GET signed by hand with any x-amz-date text and credential-scope service (header auth), for what SDK signers
 * refuse to produce: a calendar-invalid timestamp, a scope for another service.
 */
export function handSignedGet(endpoint: string, credentials: KeyPair, path: string, options: { amzDate: string; service?: string; region?: string }): Promise<RawResponse> {
  const url = new URL(endpoint);
  const region = options.region ?? "us-east-1";
  const scope = `${options.amzDate.slice(0, 8)}/${region}/${options.service ?? "s3"}/aws4_request`;
  const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": options.amzDate };
  const names = Object.keys(headers).sort();
  const canonical = ["GET", path, "", names.map((name) => `${name}:${headers[name]}\n`).join(""), names.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  let key: string | Buffer = `AWS4${credentials.secretAccessKey}`;
  for (const part of scope.split("/")) key = hmac(key, part);
  const signature = hmac(key, `AWS4-HMAC-SHA256\n${options.amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).toString("hex");
  const { host: _host, ...sent } = headers;
  return rawRequest(endpoint, { method: "GET", path, headers: { ...sent, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}` } });
}

/**
 * SigV4 headers (header auth) for a request over exactly the given path, to send by other means (a request the test
 * controls byte by byte). Without `x-amz-content-sha256` among `headers`, the body's hash is signed.
 */
export async function signedHeaders(
  endpoint: string,
  credentials: KeyPair,
  options: { method: string; path: string; query?: Record<string, string>; headers?: Record<string, string>; body?: Buffer; signingDate?: Date },
): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ credentials, region: "us-east-1", service: "s3", sha256: Sha256, uriEscapePath: false });
  const headers: Record<string, string> = { host: url.host, ...options.headers };
  if (options.body) headers["content-length"] = String(options.body.length);
  const signed = await signer.sign(
    { method: options.method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: options.path, query: options.query ?? {}, headers, ...(options.body && { body: options.body }) },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** Signs a raw request with SigV4 (header auth) exactly over the given path, then sends it. */
export async function signedRawRequest(
  endpoint: string,
  credentials: KeyPair,
  options: {
    method: string;
    path: string;
    /** Send this path instead of `path` (which is what gets signed): an encoding the signer would canonicalize. */
    wirePath?: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: Buffer | string;
    signingDate?: Date;
  },
): Promise<RawResponse> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = await signedHeaders(endpoint, credentials, {
    method: options.method,
    path: options.path,
    ...(options.query && { query: options.query }),
    ...(options.headers && { headers: options.headers }),
    ...(body && { body }),
    ...(options.signingDate && { signingDate: options.signingDate }),
  });
  const query = Object.entries(options.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join("&");
  return rawRequest(endpoint, { method: options.method, path: (options.wirePath ?? options.path) + (query ? `?${query}` : ""), headers, ...(body && { body }) });
}

/** The `<Code>` of an S3 error document. */
export function errorCode(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}
