/**
 * A deployment's own Worker: Multistore with a middleware and a route of its own, without forking the app.
 *
 * - `read-only-deletes` refuses DeleteObject and DeleteObjects with an S3 `AccessDenied` before any backend is asked.
 * - `archive` keeps keys under `archive/` in another R2 bucket (the `ARCHIVE` binding): an onion `handle` that swaps
 *   the bucket's configuration before the gateway serves the request.
 * - `usage` counts requests and bytes per bucket once each response is complete (per isolate: a real deployment
 *   would keep them in a Durable Object or send them to its metrics).
 * - `GET /usage/:bucket` answers those counts as JSON.
 *
 * Deploy it with `main = "examples/extended-worker.ts"` in wrangler.toml (the rest of the file unchanged, plus an
 * `ARCHIVE` R2 binding).
 */
import { S3Error, type BucketConfig, type Middleware, type Route } from "@multistore/core";
import { createWorker } from "../src/index.js";

const usage = new Map<string, { requests: number; bytesSent: number; bytesReceived: number }>();

const readOnlyDeletes: Middleware = {
  name: "read-only-deletes",
  before(context) {
    if (context.operation === "DeleteObject" || context.operation === "DeleteObjects") {
      throw new S3Error("AccessDenied", { message: "Deletes are disabled on this deployment." });
    }
  },
};

/** Each bucket's archive configuration, made once: backends are made per configuration object. */
const archives = new WeakMap<BucketConfig, BucketConfig>();
function archiveOf(bucket: BucketConfig): BucketConfig {
  let archive = archives.get(bucket);
  if (!archive) {
    archive = { ...bucket, backend_options: { ...bucket.backend_options, binding: "ARCHIVE" } };
    archives.set(bucket, archive);
  }
  return archive;
}

const archive: Middleware = {
  name: "archive",
  handle(context, next) {
    if (context.bucketConfig?.backend_type === "r2" && context.key?.startsWith("archive/")) context.bucketConfig = archiveOf(context.bucketConfig);
    return next();
  },
};

const counter: Middleware = {
  name: "usage",
  after(context, outcome) {
    if (context.bucket === undefined) return;
    const entry = usage.get(context.bucket) ?? { requests: 0, bytesSent: 0, bytesReceived: 0 };
    entry.requests++;
    entry.bytesSent += outcome.bytesSent;
    entry.bytesReceived += outcome.bytesReceived ?? 0;
    usage.set(context.bucket, entry);
  },
};

const usageRoute: Route = {
  method: "GET",
  path: "/usage/:bucket",
  handler: (_request, context) => ({
    status: 200,
    headers: new Headers({ "content-type": "application/json" }),
    body: JSON.stringify({ bucket: context.params.bucket, ...(usage.get(context.params.bucket!) ?? { requests: 0, bytesSent: 0, bytesReceived: 0 }) }),
  }),
};

export default createWorker({ middleware: [readOnlyDeletes, archive, counter], routes: [usageRoute] });

// wrangler.toml binds the metering Durable Object: an entry module must export its class.
export { MeteringCounters } from "../src/index.js";
