/**
 * Copies between stores under quotas, through the real server: a copy from an s3 bucket (s3rver) into an fs bucket
 * streams the object through the gateway, so it is charged to the source bucket's download quota (and logged with
 * its bytes copied), and refused once that quota is used up; a copy the store makes by itself is not.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkClient, startCli, startS3rver, type CliProcess, type S3rverHandle } from "@multistore/testing";

const cli = join(import.meta.dirname, "..", "dist/cli.js");
const COPIER = { accessKeyId: "AKIACOPIER0000000001", secretAccessKey: "copier-secret-0000000000000000000000001" };
const OBJECT = "c".repeat(600);

describe("copies between stores under a bucket's download quota", () => {
  const children: ChildProcess[] = [];
  let s3: S3rverHandle;
  let root: string;
  let server: CliProcess;

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ["archive"] });
    root = await mkdtemp(join(tmpdir(), "multistore-copy-metering-"));
    const config = `
[[buckets]]
name = "archive"
backend_type = "s3"
anonymous_access = false
[buckets.backend_options]
endpoint = "${s3.endpoint}"
region = "${s3.region}"
bucket_name = "archive"
access_key_id = "${s3.accessKeyId}"
secret_access_key = "${s3.secretAccessKey}"
force_path_style = "true"

[[buckets]]
name = "work"
backend_type = "fs"
anonymous_access = false
[buckets.backend_options]
root = "${root}"

[[credentials]]
access_key_id = "${COPIER.accessKeyId}"
secret_access_key = "${COPIER.secretAccessKey}"
principal_name = "copier"
created_at = "2024-01-01T00:00:00Z"
enabled = true
[[credentials.allowed_scopes]]
bucket = "archive"
prefixes = []
actions = ["get_object", "put_object"]
[[credentials.allowed_scopes]]
bucket = "work"
prefixes = []
actions = ["get_object", "put_object"]

[[quotas]]
scope = "bucket"
bucket = "archive"
bytes = 1000
window_secs = ${31 * 86400}
direction = "egress"
`;
    await writeFile(`${root}.toml`, config);
    server = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--config", `${root}.toml`], { children });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await s3?.close();
    await rm(root, { recursive: true, force: true });
    await rm(`${root}.toml`, { force: true });
  });

  const client = () => sdkClient(server.endpoint, COPIER);
  const copy = (from: string, to: string) => client().send(new CopyObjectCommand({ Bucket: "work", Key: to, CopySource: from }));
  /** A request's bytes are charged (and its line written, in a batch) after its answer: time for that to land. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
  const refusal = (work: Promise<unknown>) => work.then(() => undefined, (error: S3ServiceException) => [error.$metadata.httpStatusCode, error.name, error.message]);

  it("charges each copy streamed out of the bucket, logs its bytes copied, and refuses the copy past the quota", async () => {
    await client().send(new PutObjectCommand({ Bucket: "archive", Key: "source.bin", Body: OBJECT }));
    // 600 bytes each: 600, then 1200 charged (a copy that starts under the quota completes), then refused.
    for (const key of ["one.bin", "two.bin"]) {
      await copy("archive/source.bin", key);
      await settle();
    }
    const got = await client().send(new GetObjectCommand({ Bucket: "work", Key: "two.bin" }));
    expect(await got.Body!.transformToString()).toBe(OBJECT);
    const lines = server.output().split("\n").filter((line) => line.includes('"operation":"CopyObject"'));
    expect(lines.map((line) => JSON.parse(line).bytesCopied)).toEqual([600, 600]);
    expect(await refusal(copy("archive/source.bin", "three.bin"))).toEqual([429, "TooManyRequests", expect.stringContaining("bucket copied from")]);
    // So is a download of the bucket; a copy within the fs store moves nothing through the gateway and goes on.
    expect((await refusal(client().send(new GetObjectCommand({ Bucket: "archive", Key: "source.bin" }))))?.[0]).toBe(429);
    await copy("work/one.bin", "four.bin");
    await settle();
    expect(server.output().split("\n").filter((line) => line.includes('"operation":"CopyObject"')).map((line) => JSON.parse(line).bytesCopied)).toEqual([600, 600, undefined, undefined]);
  });
});
