/** Worker build of the S3 backend: aws4fetch signs with WebCrypto, fetch sends. No Node built-ins. */
import { AwsClient } from "aws4fetch";
import { createS3BackendWith, type S3Backend } from "./s3-backend-base.js";
import type { S3BackendOptions } from "./options.js";
import { CONTROL_TIMEOUT_MS, LONG_CONTROL_TIMEOUT_MS, responseText } from "@multistore/core/backend";
import type { S3CredentialsProvider, S3Runtime, S3Signer } from "./transport.js";

/** Options only the worker build understands. */
export interface WorkerS3Extras {
  /** The fetch to use (defaults to the global one). */
  fetch?: typeof fetch;
  /**
   * Supplies the signing credentials of every request instead of `access_key_id` / `secret_access_key` (e.g.
   * federated credentials for `auth_type = "oidc"`); a session token is sent as `X-Amz-Security-Token`.
   */
  credentials?: S3CredentialsProvider;
  /** The bound of each control request, its answer included (default `CONTROL_TIMEOUT_MS`, 30 s). */
  controlTimeoutMs?: number;
}

function createSigner(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string): S3Signer {
  const client = new AwsClient({ ...credentials, service: "s3", region });
  return {
    async sign(request, payloadHash) {
      const signed = await client.sign(request.url.toString(), {
        method: request.method,
        headers: { ...request.headers, "x-amz-content-sha256": payloadHash },
        aws: { allHeaders: true },
      });
      const out: Record<string, string> = {};
      signed.headers.forEach((value, name) => {
        out[name] = value;
      });
      return out;
    },
  };
}

function workerRuntime(extras: WorkerS3Extras): S3Runtime {
  const send = extras.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return {
    createSigner,
    async send(method, url, headers, body, long) {
      const response = await send(url, { method, headers, signal: AbortSignal.timeout(long ? LONG_CONTROL_TIMEOUT_MS : (extras.controlTimeoutMs ?? CONTROL_TIMEOUT_MS)), ...(body && { body: body as Uint8Array<ArrayBuffer> }) });
      return { status: response.status, headers: response.headers, text: await responseText(response) };
    },
  };
}

/** Creates an S3 backend (worker build). Throws when options are invalid, naming the option. */
export function createS3Backend(input: S3BackendOptions | Readonly<Record<string, string>>, extras: WorkerS3Extras = {}): S3Backend {
  // A bucket's `backend_options` as configured is accepted as it is; the options are checked here, naming the field.
  const options = input as S3BackendOptions;
  return createS3BackendWith(options, workerRuntime(extras), extras.credentials);
}

export type { S3Backend } from "./s3-backend-base.js";
export type { S3BackendOptions } from "./options.js";
export { resolveS3Options } from "./options.js";
export type { S3Credentials, S3CredentialsProvider } from "./transport.js";

export { S3_OPTION_RULES } from "./option-rules.js";
