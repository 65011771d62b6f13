/**
 * A copy of an object onto itself that changes what GCS keeps no setting for (a storage class or encryption asked
 * on S3's side), both builds: written again, as S3 writes it, with GCS's documented self-copy (REPLACE with the
 * metadata to keep: the object's own, from the generation a HEAD saw); refused as S3 refuses a copy that changes
 * nothing; a HEAD without a generation is a `503`, never a copy of metadata from an unknown version.
 */
import { S3Error } from "@multistore/core";
import { describe, expect, it } from "vitest";
import { createGcsBackend as createNode } from "../src/node.js";
import { createGcsBackend as createWorker } from "../src/worker.js";

const OPTIONS = { bucket_name: "self-bucket", endpoint: "http://127.0.0.1:9", skip_signature: "true" };
const OBJECT = {
  etag: '"0123456789abcdef0123456789abcdef"',
  "last-modified": "Tue, 01 Dec 2026 10:00:00 GMT",
  "x-goog-generation": "1700000000000007",
  "content-type": "text/x-self",
  "cache-control": "max-age=60",
  "x-goog-meta-color": "blue",
  "x-goog-stored-content-encoding": "gzip",
  "x-goog-hash": "crc32c=AAAAAA==",
};
const COPIED = '<CopyObjectResult><LastModified>2026-12-07T10:00:00.000Z</LastModified><ETag>"0123456789abcdef0123456789abcdef"</ETag></CopyObjectResult>';

/** A fetch answering HEAD with `head` (status and headers) and PUT with a CopyObjectResult, recording each request. */
function gcsAnswering(status: number, head: Record<string, string>) {
  const sent: { method: string; headers: Record<string, string> }[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    sent.push({ method: init.method!, headers: Object.fromEntries(new Headers(init.headers)) });
    if (init.method === "HEAD") return new Response(null, { status, headers: head });
    return new Response(COPIED, { status: 200, headers: { "content-type": "application/xml" } });
  }) as unknown as typeof fetch;
  return { sent, fetchImpl };
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
  it("writes the object again with its own metadata, from the generation a HEAD saw", async () => {
    const { sent, fetchImpl } = gcsAnswering(200, OBJECT);
    const backend = create(OPTIONS, { fetch: fetchImpl });
    const copied = await backend.copyObject({ sourceBackend: backend, ...selfCopy({ "x-amz-storage-class": "STANDARD_IA" }) });
    expect(copied).toEqual({ etag: OBJECT.etag, lastModified: new Date("2026-12-07T10:00:00.000Z") });
    expect(sent.map((request) => request.method)).toEqual(["HEAD", "PUT"]);
    expect(sent[1]!.headers).toMatchObject({
      "x-goog-copy-source": "self-bucket/k",
      "x-goog-metadata-directive": "REPLACE",
      "x-goog-copy-source-generation": OBJECT["x-goog-generation"],
      "content-type": "text/x-self",
      "cache-control": "max-age=60",
      "content-encoding": "gzip",
      "x-goog-meta-color": "blue",
    });
    // A change only the gateway saw (SSE-S3, which GCS always applies), as core tells it.
    await backend.copyObject({ sourceBackend: backend, ...selfCopy({}, true) });
    expect(sent.map((request) => request.method)).toEqual(["HEAD", "PUT", "HEAD", "PUT"]);
  });

  it("passes the copy's source conditions on for GCS to evaluate", async () => {
    const { sent, fetchImpl } = gcsAnswering(200, OBJECT);
    const backend = create(OPTIONS, { fetch: fetchImpl });
    await backend.copyObject({ sourceBackend: backend, ...selfCopy({ "x-amz-copy-source-if-match": OBJECT.etag }, true) });
    expect(sent[1]!.headers["x-goog-copy-source-if-match"]).toBe(OBJECT.etag);
  });

  it("refuses a copy that changes nothing before asking GCS", async () => {
    const { sent, fetchImpl } = gcsAnswering(200, OBJECT);
    const backend = create(OPTIONS, { fetch: fetchImpl });
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({}) }))).toEqual([400, "InvalidRequest"]);
    expect(sent).toEqual([]);
  });

  it("answers NoSuchKey for a missing object, and 503 for a HEAD without a generation, copying nothing", async () => {
    const missing = gcsAnswering(404, {});
    const backend = create(OPTIONS, { fetch: missing.fetchImpl });
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({}, true) }))).toEqual([404, "NoSuchKey"]);
    const { "x-goog-generation": _generation, ...withoutGeneration } = OBJECT;
    const bare = gcsAnswering(200, withoutGeneration);
    const unsure = create(OPTIONS, { fetch: bare.fetchImpl });
    expect(await failure(unsure.copyObject({ sourceBackend: unsure, ...selfCopy({}, true) }))).toEqual([503, "ServiceUnavailable"]);
    expect([...missing.sent, ...bare.sent].map((request) => request.method)).toEqual(["HEAD", "HEAD"]);
  });
});
