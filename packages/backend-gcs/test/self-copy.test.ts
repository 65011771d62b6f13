/**
 * A copy of an object onto itself that changes what GCS keeps no setting for (a storage class or encryption asked
 * on S3's side), both builds: written again, as S3 writes it, with GCS's documented self-copy (REPLACE with the
 * metadata to keep: the object's own, with its storage class and KMS key, pinned to the generation a HEAD saw);
 * refused as S3 refuses a copy that changes nothing; a HEAD without a generation, or an object that changed after it,
 * is a `503`, never a copy of metadata from an unknown version nor an older version written over a newer one.
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
  "x-goog-storage-class": "COLDLINE",
  "x-goog-encryption-kms-key-name": "projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3",
};
const COPIED = '<CopyObjectResult><LastModified>2026-12-07T10:00:00.000Z</LastModified><ETag>"0123456789abcdef0123456789abcdef"</ETag></CopyObjectResult>';

/**
 * A fetch answering HEAD with `head` (status and headers) and PUT with a CopyObjectResult (or GCS's error for
 * `putStatus`), recording each request.
 */
function gcsAnswering(status: number, head: Record<string, string>, putStatus = 200) {
  const sent: { method: string; headers: Record<string, string> }[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    sent.push({ method: init.method!, headers: Object.fromEntries(new Headers(init.headers)) });
    if (init.method === "HEAD") return new Response(null, { status, headers: head });
    if (putStatus !== 200) return new Response(`<Error><Code>${putStatus === 404 ? "NoSuchKey" : "PreconditionFailed"}</Code></Error>`, { status: putStatus, headers: { "content-type": "application/xml" } });
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
      // The storage class asked for (STANDARD_IA's counterpart), and its KMS key, not the key version.
      "x-goog-storage-class": "NEARLINE",
      "x-goog-encryption-kms-key-name": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
      // Pinned as destination too: a write landing after the HEAD is never overwritten by the older version.
      "x-goog-if-generation-match": OBJECT["x-goog-generation"],
    });
    // A change only the gateway saw (SSE-S3, which GCS always applies), as core tells it.
    await backend.copyObject({ sourceBackend: backend, ...selfCopy({}, true) });
    expect(sent.map((request) => request.method)).toEqual(["HEAD", "PUT", "HEAD", "PUT"]);
    // Without a class asked for, its own (a copy would take the bucket's default).
    expect(sent[3]!.headers["x-goog-storage-class"]).toBe("COLDLINE");
  });

  it("passes the copy's source conditions on for GCS to evaluate, less one S3 ignores beside another", async () => {
    const { sent, fetchImpl } = gcsAnswering(200, OBJECT);
    const backend = create(OPTIONS, { fetch: fetchImpl });
    await backend.copyObject({ sourceBackend: backend, ...selfCopy({ "x-amz-copy-source-if-match": OBJECT.etag, "x-amz-copy-source-if-unmodified-since": "Mon, 01 Jan 2024 00:00:00 GMT" }, true) });
    expect(sent[1]!.headers["x-goog-copy-source-if-match"]).toBe(OBJECT.etag);
    expect(sent[1]!.headers["x-goog-copy-source-if-unmodified-since"]).toBeUndefined();
  });

  it("checks the client's If-Match against the one HEAD, and leaves out a Cache-Control GCS serves by default", async () => {
    const { sent, fetchImpl } = gcsAnswering(200, { ...OBJECT, "cache-control": "public, max-age=3600" });
    const backend = create(OPTIONS, { fetch: fetchImpl });
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({ "if-match": '"another"' }, true) }))).toEqual([412, "PreconditionFailed"]);
    expect(sent.map((request) => request.method)).toEqual(["HEAD"]);
    await backend.copyObject({ sourceBackend: backend, ...selfCopy({ "if-match": OBJECT.etag }, true) });
    expect(sent.map((request) => request.method)).toEqual(["HEAD", "HEAD", "PUT"]);
    expect(sent[2]!.headers["x-goog-if-generation-match"]).toBe(OBJECT["x-goog-generation"]);
    expect(sent[2]!.headers["cache-control"]).toBeUndefined();
  });

  it("answers 503 (retried by clients) when the object changed between its HEAD and its copy, the client's own 412 as it is", async () => {
    for (const putStatus of [412, 404]) {
      const { fetchImpl } = gcsAnswering(200, OBJECT, putStatus);
      const backend = create(OPTIONS, { fetch: fetchImpl });
      expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({}, true) })), String(putStatus)).toEqual([503, "ServiceUnavailable"]);
    }
    const { fetchImpl } = gcsAnswering(200, OBJECT, 412);
    const backend = create(OPTIONS, { fetch: fetchImpl });
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({ "if-match": OBJECT.etag }, true) }))).toEqual([412, "PreconditionFailed"]);
    // A failed copy-source condition is the client's own too (GCS evaluates it).
    expect(await failure(backend.copyObject({ sourceBackend: backend, ...selfCopy({ "x-amz-copy-source-if-none-match": OBJECT.etag }, true) }))).toEqual([412, "PreconditionFailed"]);
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
