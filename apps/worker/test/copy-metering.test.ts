/**
 * Copies between stores under quotas, on the Worker as it ships: a copy from an R2 bucket into an s3 bucket (s3rver)
 * streams the object through the Worker, so it is charged to the R2 bucket's download quota in the Durable Object (and
 * logged with its bytes copied), and refused once that quota is used up.
 */
import { CopyObjectCommand, GetObjectCommand, type S3ServiceException } from "@aws-sdk/client-s3";
import { sdkClient, startS3rver, type S3rverHandle } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "./helpers/worker-harness.js";

const COPIER = { accessKeyId: "AKIACOPIER0000000001", secretAccessKey: "copier-secret-0000000000000000000000001" };
const OBJECT = "c".repeat(600);

describe("copies between stores under a bucket's download quota, on the Worker", () => {
  let s3: S3rverHandle;
  let worker: WorkerHandle;
  const logs: string[] = [];

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ["archive"] });
    const config = {
      buckets: [
        { name: "files", backend_type: "r2", anonymous_access: false, backend_options: { binding: "FILES" } },
        {
          name: "archive",
          backend_type: "s3",
          anonymous_access: false,
          backend_options: { endpoint: s3.endpoint, region: s3.region, bucket_name: "archive", access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: "true" },
        },
      ],
      roles: [],
      credentials: [{ access_key_id: COPIER.accessKeyId, secret_access_key: COPIER.secretAccessKey, principal_name: "copier", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "put_object"] }] }],
      quotas: [{ scope: "bucket", bucket: "files", bytes: 1000, window_secs: 31 * 86400, direction: "egress" }],
      metering: { store: "durable_object", key_prefix: `copy-metering-${process.pid}` },
    };
    worker = await startWorker({
      bindings: { PROXY_CONFIG: JSON.stringify(config) },
      r2Buckets: ["FILES"],
      durableObjects: { METERING: { className: "MeteringCounters", useSQLite: true } },
      onLog: (line) => logs.push(line),
    });
    await (await worker.miniflare.getR2Bucket("FILES")).put("source.bin", OBJECT);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await s3?.close();
  });

  const client = () => sdkClient(worker.endpoint, COPIER);
  const copy = (key: string) => client().send(new CopyObjectCommand({ Bucket: "archive", Key: key, CopySource: "files/source.bin" }));
  const copyLines = () => logs.filter((line) => line.includes('"operation":"CopyObject"')).map((line) => JSON.parse(line.slice(line.indexOf("{"))).bytesCopied);
  /** Usage is charged after the answer: waits until `count` copies are logged (the line is written once they are charged). */
  async function logged(count: number): Promise<void> {
    for (let attempt = 0; attempt < 50 && copyLines().length < count; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  it("charges each copy streamed out of the R2 bucket, logs its bytes copied, and refuses the copy past the quota", async () => {
    // 600 bytes each: 600, then 1200 charged (a copy that starts under the quota completes), then refused.
    await copy("one.bin");
    await logged(1);
    await copy("two.bin");
    await logged(2);
    const got = await client().send(new GetObjectCommand({ Bucket: "archive", Key: "two.bin" }));
    expect(await got.Body!.transformToString()).toBe(OBJECT);
    expect(copyLines()).toEqual([600, 600]);
    const refused = await copy("three.bin").then(
      () => undefined,
      (error: S3ServiceException) => [error.$metadata.httpStatusCode, error.name, error.message],
    );
    expect(refused).toEqual([429, "TooManyRequests", expect.stringContaining("bucket copied from")]);
  });
});
