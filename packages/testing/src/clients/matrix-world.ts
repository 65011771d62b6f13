/**
 * The client matrix's world, started once per runtime: a test CA, the loopback proxy, s3rver and Azurite behind the
 * S3- and Azure-backed buckets, one gateway per scheme, SDK clients to check what the clients stored, the fixture
 * files, and the listing keys seeded in every bucket.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startAzurite } from "../azurite.js";
import { startS3rver, type S3rverHandle } from "../s3rver.js";
import type { GatewayTarget } from "../behaviour/setup.js";
import type { RequestLine } from "./calls.js";
import { makeRasterFixtures, type RasterFixtures } from "./gdal.js";
import { startLoopbackProxy, type LoopbackProxy } from "./loopback-proxy.js";
import { LARGE_BYTES, LIST_COUNT, LIST_PREFIX, MATRIX_BUCKETS, MATRIX_DOMAIN, MATRIX_HOSTNAMES, MATRIX_KEY, matrixConfig, REGION, type ClientMatrixRuntime, type Scheme } from "./matrix-config.js";
import { createTestCa, type TestCa } from "./tls.js";
import { whichTool } from "./tools.js";

/** What the matrix's tests run against (see {@link startMatrixWorld}). */
export interface MatrixWorld {
  dir: string;
  ca: TestCa;
  /** For the clients without a resolver hook, in virtual-hosted style. */
  proxy: LoopbackProxy;
  s3: S3rverHandle;
  gateways: Record<Scheme, GatewayTarget>;
  sdk: Record<Scheme, S3Client>;
  files: { small: string; large: string; tree: string };
  rasters?: RasterFixtures;
  rasterError?: unknown;
  listKeys: string[];
}

/** Puts every key (its name as its body), 16 at a time. */
async function seedKeys(sdk: S3Client, bucket: string, keys: string[]) {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await sdk.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * Starts the world of one runtime. Each thing started pushes its cleanup onto `cleanups` as soon as it runs, so that
 * the caller can stop what was started (in reverse order) even when the set-up fails halfway.
 */
export async function startMatrixWorld(runtime: ClientMatrixRuntime, onRequestLine: (line: RequestLine) => void, cleanups: (() => Promise<unknown>)[]): Promise<MatrixWorld> {
  const dir = mkdtempSync(join(tmpdir(), "multistore-client-matrix-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  if (runtime.close) cleanups.push(() => runtime.close!());
  mkdirSync(join(dir, "ca"));
  const ca = createTestCa([MATRIX_DOMAIN, `*.${MATRIX_DOMAIN}`, ...MATRIX_HOSTNAMES.slice(1)], join(dir, "ca"));
  const proxy = await startLoopbackProxy(MATRIX_DOMAIN);
  cleanups.push(() => proxy.close());
  const s3 = await startS3rver({ buckets: ["matrix"] });
  cleanups.push(() => s3.close());
  const azurite = await startAzurite();
  cleanups.push(() => azurite.close());
  await azurite.createContainer("matrix");
  const config = matrixConfig(s3, runtime.native, azurite);
  const http = await runtime.start(config, { domain: MATRIX_DOMAIN, onRequestLine });
  cleanups.push(() => http.close());
  const https = await runtime.start(config, { domain: MATRIX_DOMAIN, tls: ca, onRequestLine });
  cleanups.push(() => https.close());
  const sdkFor = (endpoint: string) => {
    const client = new S3Client({
      ...(runtime.sdkDefaults ?? {}),
      endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: MATRIX_KEY,
      requestHandler: { httpsAgent: new HttpsAgent({ ca: ca.ca, maxSockets: 32 }) },
    });
    cleanups.push(async () => client.destroy());
    return client;
  };
  const files = { small: join(dir, "small.bin"), large: join(dir, "large.bin"), tree: join(dir, "tree") };
  writeFileSync(files.small, randomBytes(70 * 1024 + 17));
  writeFileSync(files.large, randomBytes(LARGE_BYTES));
  mkdirSync(join(files.tree, "sub/deeper"), { recursive: true });
  writeFileSync(join(files.tree, "a.txt"), "hello, tree\n");
  writeFileSync(join(files.tree, "empty.txt"), "");
  writeFileSync(join(files.tree, "sub/b.bin"), randomBytes(64 * 1024));
  writeFileSync(join(files.tree, "sub/deeper/with space.txt"), "a key with a space\n");
  writeFileSync(join(files.tree, "sub/ünïcödé.txt"), "unicode key\n");
  writeFileSync(join(files.tree, "sub/a+b=c.txt"), "plus and equals\n");
  const listKeys = Array.from({ length: LIST_COUNT }, (_, index) => `${LIST_PREFIX}key-${String(index).padStart(5, "0")}`);
  const next: MatrixWorld = { dir, ca, proxy, s3, gateways: { http, https }, sdk: { http: sdkFor(http.endpoint), https: sdkFor(https.endpoint) }, files, listKeys };
  try {
    // Without gdal-bin the GDAL tests fail with the install command (requireGdal); the others still run.
    if (whichTool("gdal_translate")) next.rasters = await makeRasterFixtures(dir);
  } catch (error) {
    next.rasterError = error;
  }
  await seedKeys(next.sdk.http, MATRIX_BUCKETS.s3, listKeys);
  await seedKeys(next.sdk.https, MATRIX_BUCKETS.az, listKeys);
  await seedKeys(next.sdk.http, MATRIX_BUCKETS.native, listKeys);
  if (!runtime.nativeShared) await seedKeys(next.sdk.https, MATRIX_BUCKETS.native, listKeys);
  return next;
}
