/**
 * Copies that take long, answered as S3 answers them: 200 at once, whitespace while the copy runs, then the result,
 * or the error that ended it inside the 200. A client whose read timeout is shorter than the copy still copies. The
 * source is a store that sends its object slowly; the gateway starts with short keep-alive settings.
 */
import { request as httpRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSlowStore, type SlowStore } from "../slow-store.js";
import { CLIENT_APT_INSTALL, cleanEnv, mustRun, requireTool, succeeds } from "../clients/tools.js";
import { sdkClient, signedHeaders, type KeyPair } from "./clients.js";
import { BUCKETS, fsNativeBuckets, type GatewayTarget, type NativeBucket, type StartGateway } from "./setup.js";

const ADMIN: KeyPair = { accessKeyId: "AKIALONG00000000001", secretAccessKey: "long-secret-0000000000000000000000000001" };
const SOURCE = "slow-source";
/** The gateway's keep-alive settings here: an answer starts after 300 ms, and sends a space every 100 ms. */
const KEEP_ALIVE = { afterMs: 300, everyMs: 100 };

/**
 * boto3 (Debian's, as the client matrix runs it) copying with a 1 s read timeout: a copy that takes about twice that,
 * then one whose source breaks off (the error's code, as boto3 raises it).
 */
const BOTO3_COPIES = `
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
a = json.loads(sys.argv[1])
s3 = boto3.client("s3", endpoint_url=a["endpoint"], region_name="us-east-1", aws_access_key_id=a["id"], aws_secret_access_key=a["secret"],
    config=Config(read_timeout=1, connect_timeout=5, retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))
copied = s3.copy_object(Bucket=a["bucket"], Key="long/boto3.bin", CopySource={"Bucket": a["source"], "Key": "slow.bin"})
out = {"etag": copied["CopyObjectResult"]["ETag"]}
try:
    s3.copy_object(Bucket=a["bucket"], Key="long/boto3-broken.bin", CopySource={"Bucket": a["source"], "Key": "broken.bin"})
    out["broken"] = "copied"
except ClientError as error:
    out["broken"] = error.response.get("Error", {}).get("Code", "Unknown")
print(json.dumps(out))
`;

/** A copy's answer as it came: when its headers and each chunk arrived (ms after sending), and the text. */
interface TimedAnswer {
  status: number;
  headersAt: number;
  chunks: { at: number; text: string }[];
  text: string;
}

/** Sends a signed CopyObject and reads its answer chunk by chunk. */
async function timedCopy(endpoint: string, destination: string, key: string, source: string): Promise<TimedAnswer> {
  const path = `/${destination}/${key}`;
  const headers = await signedHeaders(endpoint, ADMIN, { method: "PUT", path, headers: { "x-amz-copy-source": `/${SOURCE}/${source}`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${endpoint}${path}`, { method: "PUT", headers }, (response) => {
      const answer: TimedAnswer = { status: response.statusCode ?? 0, headersAt: performance.now() - started, chunks: [], text: "" };
      response.on("data", (chunk: Buffer) => answer.chunks.push({ at: performance.now() - started, text: chunk.toString() }));
      response.on("end", () => resolve({ ...answer, text: answer.chunks.map((chunk) => chunk.text).join("") }));
      response.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

/** Registers the long-answer behaviours: their own gateway (`start`) over a slow store and the runtime's native bucket. */
export function longAnswerBehaviour(start: StartGateway, native: NativeBucket | undefined): void {
  describe("long copies answered as S3 answers them (kept alive)", () => {
    let store: SlowStore;
    let target: GatewayTarget;
    let root: string;
    beforeAll(async () => {
      store = await startSlowStore({ chunks: 5, intervalMs: 400 });
      root = await mkdtemp(join(tmpdir(), "multistore-long-answers-"));
      const destination = (native ?? fsNativeBuckets(root))(BUCKETS.native);
      const config = {
        buckets: [
          {
            name: SOURCE,
            backend_type: "s3",
            anonymous_access: false,
            backend_options: { endpoint: store.endpoint, bucket_name: "slow", region: "us-east-1", access_key_id: "AKIASLOWSTORE0000001", secret_access_key: "slow-store-secret", force_path_style: "true" },
          },
          { name: BUCKETS.native, anonymous_access: false, ...destination },
        ],
        roles: [],
        credentials: [
          {
            access_key_id: ADMIN.accessKeyId,
            secret_access_key: ADMIN.secretAccessKey,
            principal_name: "long",
            created_at: "2024-01-01T00:00:00Z",
            enabled: true,
            allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "head_object", "put_object", "list_bucket"] }],
          },
        ],
      };
      target = await start(config, { keepAlive: KEEP_ALIVE });
    }, 60_000);
    afterAll(async () => {
      await target?.close();
      await store?.close();
      if (root) await rm(root, { recursive: true, force: true });
    }, 30_000);

    it("answers 200 before the copy is done, sends whitespace while it runs, then the result", async () => {
      const answer = await timedCopy(target.endpoint, BUCKETS.native, "long/copied.bin", "slow.bin");
      expect(answer.status).toBe(200);
      // The answer started at the keep-alive delay, long before the source was read.
      expect(answer.headersAt).toBeLessThan(store.readMs - 400);
      expect(answer.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n +<CopyObjectResult[ >][\s\S]*<ETag>[^<]+<\/ETag>[\s\S]*<\/CopyObjectResult>$/);
      // Bytes kept coming: no silence much longer than the interval between the first byte and the result.
      const gaps = answer.chunks.slice(1).map((chunk, index) => chunk.at - answer.chunks[index]!.at);
      expect(Math.max(...gaps)).toBeLessThan(KEEP_ALIVE.everyMs + 600);
      const got = await sdkClient(target.endpoint, ADMIN).send(new GetObjectCommand({ Bucket: BUCKETS.native, Key: "long/copied.bin" }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(store.objects["slow.bin"]!))).toBe(true);
    }, 30_000);

    it("lets a client whose read timeout is shorter than the copy copy all the same", async () => {
      // The SDK gives up on a socket silent for 1 s; the copy takes about twice that.
      const client = sdkClient(target.endpoint, ADMIN, { requestHandler: { requestTimeout: 1000, throwOnRequestTimeout: true } });
      const copied = await client.send(new CopyObjectCommand({ Bucket: BUCKETS.native, Key: "long/sdk.bin", CopySource: `${SOURCE}/slow.bin` }));
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKETS.native, Key: "long/sdk.bin" }));
      expect(copied.CopyObjectResult?.ETag).toBe(head.ETag);
      expect(head.ContentLength).toBe(store.objects["slow.bin"]!.length);
    }, 30_000);

    it.each([
      // botocore 1.29 (Debian's) raises an error inside a 200 as "Unknown" once its attempts are spent, as it does
      // against S3; newer botocore (pyenv's) parses its code.
      ["Debian's boto3", "/usr/bin/python3", ["ServiceUnavailable", "Unknown"], CLIENT_APT_INSTALL],
      ["PATH's boto3", "python3", ["ServiceUnavailable"], "pip install boto3 (the machine image's pyenv python3 has it)"],
    ] as const)("lets %s with a 1 s read timeout copy, and raises a copy's error from inside its 200", async (label, python, codes, install) => {
      requireTool(label, () => succeeds(python, ["-c", "import boto3"]), install);
      const payload = { endpoint: target.endpoint, id: ADMIN.accessKeyId, secret: ADMIN.secretAccessKey, bucket: BUCKETS.native, source: SOURCE };
      const output = await mustRun(python, ["-c", BOTO3_COPIES, JSON.stringify(payload)], { env: cleanEnv({ AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" }), timeoutMs: 60_000 });
      const result = JSON.parse(output) as { etag: string; broken: string };
      const head = await sdkClient(target.endpoint, ADMIN).send(new HeadObjectCommand({ Bucket: BUCKETS.native, Key: "long/boto3.bin" }));
      expect(result.etag).toBe(head.ETag);
      expect(codes).toContain(result.broken);
    }, 60_000);

    it("ends a copy whose source breaks off with the error inside the 200, which SDKs raise; nothing is written", async () => {
      const answer = await timedCopy(target.endpoint, BUCKETS.native, "long/broken-raw.bin", "broken.bin");
      expect(answer.status).toBe(200);
      expect(answer.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n +<Error><Code>ServiceUnavailable<\/Code>/);
      const client = sdkClient(target.endpoint, ADMIN, { requestHandler: { requestTimeout: 1000, throwOnRequestTimeout: true } });
      const failed = await client.send(new CopyObjectCommand({ Bucket: BUCKETS.native, Key: "long/broken.bin", CopySource: `${SOURCE}/broken.bin` })).then(
        () => undefined,
        (error: { name?: string }) => error,
      );
      expect(failed?.name).toBe("ServiceUnavailable");
      for (const key of ["long/broken.bin", "long/broken-raw.bin"]) {
        const head = await client.send(new HeadObjectCommand({ Bucket: BUCKETS.native, Key: key })).then(
          () => "found",
          (error: { name?: string }) => error.name,
        );
        expect(head, key).toBe("NotFound");
      }
    }, 30_000);

    it("answers a quick failure with its own status, not a 200", async () => {
      const answer = await timedCopy(target.endpoint, BUCKETS.native, "long/missing.bin", "missing.bin");
      expect(answer.status).toBe(404);
      expect(answer.text).toContain("<Code>NoSuchKey</Code>");
    }, 30_000);
  });
}
