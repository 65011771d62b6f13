/** Helpers shared by the fs backend's tests (excluded from the build). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach } from "vitest";
import type { Backend, ObjectRequest } from "@multistore/core/backend";
import { errorResponse, executeDispatch, isS3ErrorLike, type ExecutedResponse } from "@multistore/testing";
import { createFsBackend } from "../src/index.js";

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "multistore-fs-"));
  made.push(dir);
  return dir;
}

/** A backend on a fresh temp root. */
export async function freshBackend(): Promise<{ backend: Backend<Readable>; root: string }> {
  const root = await tempDir();
  return { backend: createFsBackend({ root }), root };
}

/** Prepares and executes an object operation; S3Errors (from prepare or execute) become responses. */
export async function run(
  backend: Backend<Readable>,
  request: Omit<ObjectRequest, "headers"> & { headers?: HeadersInit },
  body?: Uint8Array | string,
): Promise<ExecutedResponse> {
  try {
    return await executeDispatch(await backend.prepareObject({ ...request, headers: new Headers(request.headers) }), body);
  } catch (error) {
    if (isS3ErrorLike(error)) return errorResponse(error);
    throw error;
  }
}

/** PutObject with a matching Content-Length. */
export function put(backend: Backend<Readable>, key: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const length = typeof body === "string" ? Buffer.byteLength(body) : body.length;
  return run(backend, { operation: "PutObject", key, headers: { "content-length": String(length), ...headers } }, body);
}

/** GetObject. */
export function get(backend: Backend<Readable>, key: string, headers: Record<string, string> = {}) {
  return run(backend, { operation: "GetObject", key, headers });
}

/** The error code of a response. */
export function codeOf(response: ExecutedResponse): string | null {
  return response.headers.get("x-multistore-error-code");
}

/** UTF-8 text of bytes. */
export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("utf8");
}
