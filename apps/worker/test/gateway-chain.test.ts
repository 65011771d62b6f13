/**
 * The Worker in front of a Node server (an edge tier before a regional one): every upload form passes through both
 * and reads back intact. The server is the repository's own CLI (apps/server, built before these tests).
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exerciseGatewayChain, startCli } from "@multistore/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const INNER_KEY = { accessKeyId: "AKIACHAININNER00002", secretAccessKey: "chain-inner-secret-00000000000000000002" };
const OUTER_KEY = { accessKeyId: "AKIACHAINOUTER00002", secretAccessKey: "chain-outer-secret-00000000000000000002" };
const ALL = ["get_object", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"];
const credential = (key: typeof INNER_KEY) => ({ access_key_id: key.accessKeyId, secret_access_key: key.secretAccessKey, principal_name: "chain", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL }] });
const cli = join(import.meta.dirname, "../../server/dist/cli.js");

describe("Worker in front of a Node server", () => {
  const children: ChildProcess[] = [];
  let worker: WorkerHandle;
  let directory: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), "multistore-worker-chain-"));
    const config = join(directory, "inner.json");
    writeFileSync(config, JSON.stringify({ buckets: [{ name: "inner", backend_type: "fs", anonymous_access: false, backend_options: { root: join(directory, "data") } }], credentials: [credential(INNER_KEY)] }));
    const { endpoint: inner } = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--config", config], { children });
    worker = await startWorker({
      bindings: {
        PROXY_CONFIG: {
          buckets: [
            {
              name: "outer",
              backend_type: "s3",
              anonymous_access: false,
              backend_prefix: "tier",
              backend_options: { endpoint: inner, bucket_name: "inner", access_key_id: INNER_KEY.accessKeyId, secret_access_key: INNER_KEY.secretAccessKey },
            },
          ],
          credentials: [credential(OUTER_KEY)],
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    for (const child of children) child.kill("SIGKILL");
    rmSync(directory, { recursive: true, force: true });
  });

  it("passes signed-hash, aws-chunked, presigned and multipart uploads through both", async () => {
    await exerciseGatewayChain({ endpoint: worker.endpoint, credentials: OUTER_KEY, bucket: "outer" });
  }, 120_000);
});
