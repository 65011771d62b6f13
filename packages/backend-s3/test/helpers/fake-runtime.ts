/**
 * A fake runtime for the S3 backend's tests without a server: it records what the backend sends and answers with
 * canned XML, and its signer only marks the headers (object URLs are presigned by core in every build).
 */
import { createHash } from "node:crypto";
import type { S3BackendOptions } from "../../src/options.js";
import { createS3BackendWith } from "../../src/s3-backend-base.js";
import type { S3Runtime, S3Signer } from "../../src/transport.js";

/** A request the backend sent, as the fake runtime recorded it. */
export interface Sent {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** What the fake runtime answers: a response (200 and no body unless said), or an error it throws. */
export type Reply = { status?: number; text?: string; headers?: Record<string, string> } | Error;

/** The bucket every test's backend reaches, with a credential. */
export const OPTIONS: S3BackendOptions = { bucket_name: "data", region: "eu-west-1", access_key_id: "AKIDEXAMPLE", secret_access_key: "secret" };

/** The XML declaration S3's documents start with. */
export const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** The hex SHA-256 of a text. */
export const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** An S3 error document with this code. */
export const errorDocument = (code: string) => `${XML}<Error><Code>${code}</Code><Message>m</Message></Error>`;

/** Signs nothing: headers gain a marker `authorization` (object URLs are presigned by core in every build). */
const fakeSigner: S3Signer = {
  async sign(request, payloadHash) {
    return { ...request.headers, "x-amz-content-sha256": payloadHash, authorization: "FAKE" };
  },
};

/** A backend on a fake runtime that records requests and answers with `reply`; `md5`: whether the runtime has MD5. */
export function fakeBackend(reply: (request: Sent) => Reply = () => ({}), options: Partial<S3BackendOptions> = {}, md5 = true) {
  const sent: Sent[] = [];
  const runtime: S3Runtime = {
    createSigner: () => fakeSigner,
    async send(method, url, headers, body) {
      const request: Sent = { method, url: new URL(url), headers, ...(body && { body: new TextDecoder().decode(body) }) };
      sent.push(request);
      const answer = reply(request);
      if (answer instanceof Error) throw answer;
      return { status: answer.status ?? 200, headers: new Headers(answer.headers), text: answer.text ?? "" };
    },
    ...(md5 && { md5Base64: (bytes: Uint8Array) => createHash("md5").update(bytes).digest("base64") }),
  };
  return { backend: createS3BackendWith({ ...OPTIONS, ...options }, runtime), sent };
}
