/**
 * A custom backend: a read-only bucket served from memory (a handful of generated files, say). It answers GetObject
 * and HeadObject in process ("native") and lists its keys; every write is refused. A real backend passes the shared
 * contract suite (`@multistore/testing/contract`); this one is deliberately small.
 */
import { type Readable } from "node:stream";
import { S3Error } from "@multistore/core";
import type { Backend, ListRequest, ListResult, ObjectDispatch, ObjectRequest } from "@multistore/core/backend";

/** Option rules for `backend_type = "memory"` (register them before parsing the config). */
export const MEMORY_OPTION_RULES = {
  greeting: { description: "Text of the bucket's one object, hello.txt.", required: true },
} as const;

/** Creates the backend of a bucket whose objects are `objects` (key -> content). */
export function createMemoryBackend(objects: Record<string, string>): Backend<Readable> {
  const stored = new Map(Object.entries(objects).map(([key, text]) => [key, new TextEncoder().encode(text)]));
  const lastModified = new Date("2026-01-01T00:00:00Z");
  const etagOf = (key: string) => `"${key.length.toString(16)}-${stored.get(key)!.length.toString(16)}"`;
  const readOnly = () => new S3Error("AccessDenied", { message: "This bucket is read-only." });
  return {
    kind: "memory",
    copyDomain: "memory",
    async prepareObject(request: ObjectRequest): Promise<ObjectDispatch<Readable>> {
      if (request.operation !== "GetObject" && request.operation !== "HeadObject") throw readOnly();
      const bytes = stored.get(request.key);
      if (!bytes) throw new S3Error("NoSuchKey", { details: { Key: request.key } });
      const headers = new Headers({ "content-type": "text/plain; charset=utf-8", "content-length": String(bytes.length), etag: etagOf(request.key), "last-modified": lastModified.toUTCString() });
      return { type: "native", execute: async () => ({ status: 200, headers, body: request.operation === "HeadObject" ? null : bytes }) };
    },
    async listObjects(request: ListRequest): Promise<ListResult> {
      const keys = [...stored.keys()].filter((key) => key.startsWith(request.prefix) && (request.startAfter === undefined || key > request.startAfter)).sort();
      const page = keys.slice(0, request.maxKeys);
      return { objects: page.map((key) => ({ key, lastModified, etag: etagOf(key), size: stored.get(key)!.length })), commonPrefixes: [], isTruncated: keys.length > page.length };
    },
    createMultipartUpload: async () => {
      throw readOnly();
    },
    completeMultipartUpload: async () => {
      throw readOnly();
    },
    abortMultipartUpload: async () => {
      throw readOnly();
    },
    deleteObjects: async () => {
      throw readOnly();
    },
    copyObject: async () => {
      throw readOnly();
    },
  };
}
