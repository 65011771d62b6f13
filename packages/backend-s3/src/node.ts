/** Node build of the S3 backend: @smithy/signature-v4 signs, undici sends. */
import { createHash } from "node:crypto";
import type { SignatureV4 } from "@smithy/signature-v4";
import { request as undiciRequest, type Dispatcher } from "undici";
import { NodeSha256 } from "./node-sha256.js";
import { createS3BackendWith, type S3Backend } from "./s3-backend-base.js";
import type { S3BackendOptions } from "./options.js";
import { CONTROL_TIMEOUT_MS, controlAnswerText, LONG_CONTROL_TIMEOUT_MS } from "@multistore/core/backend";
import type { S3CredentialsProvider, S3Runtime, S3Signer, SignableRequest } from "./transport.js";

/** Options only the Node build understands. */
export interface NodeS3Extras {
  /** undici dispatcher (connection pool) for the backend's small signed requests. */
  dispatcher?: Dispatcher;
  /**
   * Supplies the signing credentials of every request instead of `access_key_id` / `secret_access_key` (e.g.
   * federated credentials for `auth_type = "oidc"`); a session token is sent as `X-Amz-Security-Token`.
   */
  credentials?: S3CredentialsProvider;
  /** The bound of each control request, its answer included (default `CONTROL_TIMEOUT_MS`, 30 s). */
  controlTimeoutMs?: number;
}

interface SmithyRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

function toSmithy(request: SignableRequest): SmithyRequest {
  const query: Record<string, string> = {};
  request.url.searchParams.forEach((value, name) => {
    query[name] = value;
  });
  return {
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    ...(request.url.port !== "" && { port: Number(request.url.port) }),
    path: request.url.pathname,
    query,
    headers: { ...request.headers, host: request.url.host },
  };
}

/**
 * The header signer of the backend's own requests (listings, multipart control, copies). @smithy/signature-v4 is
 * imported by the first of them: object requests are presigned without it, and a server whose buckets are only read
 * does not hold its modules on the heap that each garbage collection walks.
 */
function createSigner(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string): S3Signer {
  let signer: Promise<SignatureV4> | undefined;
  return {
    async sign(request, payloadHash) {
      // S3 paths are encoded once by us; the signer must not encode them again or normalize them.
      signer ??= import("@smithy/signature-v4").then(
        ({ SignatureV4 }) => new SignatureV4({ credentials, region, service: "s3", sha256: NodeSha256, uriEscapePath: false, applyChecksum: false }),
        (error: unknown) => {
          // An optional peer dependency: say which package, with the import's own error as the cause.
          throw new Error("The S3 backend's Node build could not load @smithy/signature-v4 (is it installed beside @multistore/backend-s3?)", { cause: error });
        },
      );
      const smithyRequest = toSmithy(request);
      smithyRequest.headers["x-amz-content-sha256"] = payloadHash;
      const signed = (await (await signer).sign(smithyRequest as never)) as unknown as SmithyRequest;
      return signed.headers;
    },
  };
}

function nodeRuntime(extras: NodeS3Extras): S3Runtime {
  return {
    createSigner,
    async send(method, url, headers, body, long) {
      const response = await undiciRequest(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        signal: AbortSignal.timeout(long ? LONG_CONTROL_TIMEOUT_MS : (extras.controlTimeoutMs ?? CONTROL_TIMEOUT_MS)),
        ...(body && { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) }),
        ...(extras.dispatcher && { dispatcher: extras.dispatcher }),
      });
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      return { status: response.statusCode, headers: responseHeaders, text: await controlAnswerText(response.body, () => response.body.destroy()) };
    },
    md5Base64: (bytes) => createHash("md5").update(bytes).digest("base64"),
  };
}

/** Creates an S3 backend (Node build). Throws when options are invalid, naming the option. */
export function createS3Backend(input: S3BackendOptions | Readonly<Record<string, string>>, extras: NodeS3Extras = {}): S3Backend {
  // A bucket's `backend_options` as configured is accepted as it is; the options are checked here, naming the field.
  const options = input as S3BackendOptions;
  return createS3BackendWith(options, nodeRuntime(extras), extras.credentials);
}

export type { S3Backend } from "./s3-backend-base.js";
export type { S3BackendOptions } from "./options.js";
export { resolveS3Options } from "./options.js";
export type { S3Credentials, S3CredentialsProvider } from "./transport.js";

export { S3_OPTION_RULES } from "./option-rules.js";
