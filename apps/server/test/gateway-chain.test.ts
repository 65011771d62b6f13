/** A Multistore in front of a Multistore: every upload form passes through both servers and reads back intact. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@multistore/config";
import { exerciseGatewayChain } from "@multistore/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const INNER_KEY = { accessKeyId: "AKIACHAININNER00001", secretAccessKey: "chain-inner-secret-00000000000000000001" };
const OUTER_KEY = { accessKeyId: "AKIACHAINOUTER00001", secretAccessKey: "chain-outer-secret-00000000000000000001" };
const ALL = ["get_object", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"];
const credential = (key: typeof INNER_KEY) => ({ access_key_id: key.accessKeyId, secret_access_key: key.secretAccessKey, principal_name: "chain", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ALL }] });

describe("server in front of a server", () => {
  let inner: MultistoreServer;
  let outer: MultistoreServer;
  let root: string;
  let endpoint: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-chain-"));
    inner = createMultistoreServer({
      config: parseConfig({ buckets: [{ name: "inner", backend_type: "fs", anonymous_access: false, backend_options: { root } }], credentials: [credential(INNER_KEY)] }),
      logger: createLogger("silent"),
    });
    const innerPort = (await inner.listen(0, "127.0.0.1")).port;
    outer = createMultistoreServer({
      config: parseConfig({
        buckets: [
          {
            name: "outer",
            backend_type: "s3",
            anonymous_access: false,
            backend_prefix: "tier",
            backend_options: { endpoint: `http://127.0.0.1:${innerPort}`, bucket_name: "inner", access_key_id: INNER_KEY.accessKeyId, secret_access_key: INNER_KEY.secretAccessKey },
          },
        ],
        credentials: [credential(OUTER_KEY)],
      }),
      logger: createLogger("silent"),
    });
    endpoint = `http://127.0.0.1:${(await outer.listen(0, "127.0.0.1")).port}`;
  });

  afterAll(async () => {
    await outer?.close();
    await inner?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("passes signed-hash, aws-chunked, presigned and multipart uploads through both", async () => {
    await exerciseGatewayChain({ endpoint, credentials: OUTER_KEY, bucket: "outer" });
  }, 60_000);
});
