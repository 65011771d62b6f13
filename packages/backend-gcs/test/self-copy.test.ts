/**
 * A copy of an object onto itself that changes what GCS keeps no setting for (a storage class or encryption asked
 * on S3's side), both builds: answered from a HEAD of the object as it stands, with the copy's conditions checked,
 * and nothing written; refused as S3 refuses a copy that changes nothing; a HEAD GCS answers without an ETag is a
 * `503`, never an answer without one.
 */
import { S3Error } from "@multistore/core";
import { describe, expect, it } from "vitest";
import { createGcsBackend as createNode } from "../src/node.js";
import { createGcsBackend as createWorker } from "../src/worker.js";

const OPTIONS = { bucket_name: "self-bucket", endpoint: "http://127.0.0.1:9", skip_signature: "true" };
const ETAG = '"0123456789abcdef0123456789abcdef"';
const LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT";

/** A fetch answering every HEAD with `status` and `headers`, recording each request's method. */
function headAnswering(status: number, headers: Record<string, string>) {
  const methods: string[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    methods.push(init.method!);
    return new Response(null, { status, headers });
  }) as unknown as typeof fetch;
  return { methods, fetchImpl };
}

const selfCopy = (headers: Record<string, string>, changesObject?: boolean) => ({ key: "k", sourceKey: "k", headers: new Headers(headers), ...(changesObject !== undefined && { changesObject }) });

async function failure(promise: Promise<unknown>): Promise<[number, string]> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(S3Error);
  return [(error as S3Error).status, (error as S3Error).code];
}

describe.each([
  ["node", createNode],
  ["worker", createWorker],
] as const)("a gcs copy onto itself (%s build)", (_build, create) => {
  it("answers the object as it stands, from one HEAD, writing nothing", async () => {
    const { methods, fetchImpl } = headAnswering(200, { etag: ETAG, "last-modified": LAST_MODIFIED });
    const backend = create(OPTIONS, { fetch: fetchImpl });
    const copied = await backend.copyObject({ sourceBackend: backend, ...selfCopy({ "x-amz-storage-class": "STANDARD_IA" }) });
    expect(copied).toEqual({ etag: ETAG, lastModified: new Date(LAST_MODIFIED) });
    await backend.copyObject({ sourceBackend: backend, ...selfCopy({}, true) });
    expect(methods).toEqual(["HEAD", "HEAD"]);
  });

  it("checks the copy's conditions against that HEAD", async () => {
    const { fetchImpl } = headAnswering(200, { etag: ETAG, "last-modified": LAST_MODIFIED });
    const backend = create(OPTIONS, { fetch: fetchImpl });
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({ "x-amz-copy-source-if-match": '"other"' }, true) }))).toEqual([412, "PreconditionFailed"]);
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({ "if-none-match": "*" }, true) }))).toEqual([412, "PreconditionFailed"]);
  });

  it("refuses a copy that changes nothing before asking GCS", async () => {
    const { methods, fetchImpl } = headAnswering(200, { etag: ETAG });
    const backend = create(OPTIONS, { fetch: fetchImpl });
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({}) }))).toEqual([400, "InvalidRequest"]);
    expect(methods).toEqual([]);
  });

  it("answers NoSuchKey for a missing object, and 503 for a HEAD without an ETag", async () => {
    const missing = headAnswering(404, {});
    const backend = create(OPTIONS, { fetch: missing.fetchImpl });
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({}, true) }))).toEqual([404, "NoSuchKey"]);
    const bare = headAnswering(200, { "last-modified": LAST_MODIFIED });
    const unsure = create(OPTIONS, { fetch: bare.fetchImpl });
    expect(await failure(unsure.copyObject({ sourceBackend: unsure, ...selfCopy({}, true) }))).toEqual([503, "ServiceUnavailable"]);
  });
});
