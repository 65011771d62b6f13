/**
 * The client matrix: real S3 clients (aws-cli, boto3, rclone, s3cmd, GDAL, the JS SDK) against one runtime, over
 * HTTP and HTTPS (a test CA), path-style and virtual-hosted style, on the runtime's native backend and on an
 * S3-backed bucket (s3rver). One gateway per scheme, shared by every client; clients run one after another.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteHandle } from "../azurite.js";
import { startS3rver, type S3rverHandle } from "../s3rver.js";
import type { GatewayTarget, NativeBucket } from "../behaviour/setup.js";
import type { KeyPair } from "../behaviour/clients.js";
import { matrixClients, type AddressingStyle, type ClientTarget, type MatrixClient } from "./adapters.js";
import { gdalEnv, makeRasterFixtures, rasterSummary, requireGdal, SMALL_TIFF_OPTIONS, vectorSummary, writeVectorFixture, type RasterFixtures } from "./gdal.js";
import { recordClientCalls, type RequestLine } from "./calls.js";
import { curlResolveArguments } from "./loopback.js";
import { startLoopbackProxy, type LoopbackProxy } from "./loopback-proxy.js";
import { createTestCa, type TestCa } from "./tls.js";
import { mustRun, requireTool, runTool, whichTool } from "./tools.js";

/**
 * The virtual-host domain of the matrix. `<bucket>.s3.localtest` is 127.0.0.1 for every client by its own means
 * (loopback.ts): the machine's resolver is not asked, so no /etc/hosts entry is needed.
 */
export const MATRIX_DOMAIN = "s3.localtest";
/** The matrix's buckets: one on the runtime's native backend (fs / R2), one on s3rver. */
export const MATRIX_BUCKETS = { native: "matrix-native", s3: "matrix-s3", az: "matrix-az" } as const;
/** The virtual-hosted names the matrix uses (the domain and one name per bucket served virtual-hosted style). */
export const MATRIX_HOSTNAMES = [MATRIX_DOMAIN, `${MATRIX_BUCKETS.native}.${MATRIX_DOMAIN}`, `${MATRIX_BUCKETS.s3}.${MATRIX_DOMAIN}`];
/** The one key the clients use (every action on every bucket). */
export const MATRIX_KEY: KeyPair = { accessKeyId: "AKIAMATRIX000000001", secretAccessKey: "matrix-secret-000000000000000000000001" };

const REGION = "us-east-1";
const LIST_PREFIX = "many/";
const LIST_COUNT = 1100;
const LARGE_BYTES = 20 * 1024 * 1024;
type Scheme = "http" | "https";
type Backend = keyof typeof MATRIX_BUCKETS;

/**
 * Which (backend, style) pairs a client runs on a scheme. Path-style on both backends; virtual-hosted style on one
 * backend per scheme (native over HTTP, S3-backed over HTTPS), which keeps the matrix within its time budget while
 * every pairing of scheme, style and backend is still run by every client that supports it. The SigV2 variant of
 * s3cmd runs path-style only.
 */
function combinations(scheme: Scheme, client?: MatrixClient): [Backend, AddressingStyle][] {
  const pairs: [Backend, AddressingStyle][] = [["native", "path"], ["s3", "path"]];
  // Azure (Azurite) runs path-style over HTTPS, where modern botocore sends its trailer-checksum framing. Not with
  // s3cmd: it compares every upload's ETag with the file's MD5 and retries until it gives up, and Azure ETags are
  // opaque version tags (a known limitation, written down in docs/clients.md).
  if (scheme === "https" && !client?.id.startsWith("s3cmd")) pairs.push(["az", "path"]);
  if (!client || (client.styles.includes("virtual") && client.id !== "s3cmd-v2")) pairs.push([scheme === "http" ? "native" : "s3", "virtual"]);
  return pairs;
}

/**
 * The one 20 MiB flow per client and runtime (over HTTPS, path-style): alternating backends across clients, and
 * flipped on the runtime that sets `flipLargeBackends`, so that across both runtimes every client uploads 20 MiB to a
 * native and to an S3-backed bucket.
 */
const LARGE_ON: Record<string, Backend> = {
  "aws-cli-path": "native",
  "boto3-path": "s3",
  "aws-cli-debian": "s3",
  "boto3-debian": "native",
  rclone: "native",
  s3cmd: "s3",
  "js-sdk": "native",
  "minio-js": "s3",
  gdal: "s3",
};

/** How the matrix starts and configures one runtime. */
export interface ClientMatrixRuntime {
  /**
   * Starts the gateway with `config` (the TOML file's shape), virtual-hosted under `domain`, HTTPS when `tls` is given;
   * each request line the gateway writes goes to `onRequestLine`, parsed (which calls the clients make: see calls.ts).
   */
  start(config: Record<string, unknown>, options: { domain: string; tls?: TestCa; onRequestLine: (line: RequestLine) => void }): Promise<GatewayTarget>;
  /** How a bucket on the runtime's native backend is configured. */
  native: NativeBucket;
  /** What the native backend is, for test names ("fs", "R2"). */
  nativeLabel: string;
  /** True when the HTTP and HTTPS gateways share the native storage (so the listing keys are seeded once there). */
  nativeShared: boolean;
  /** Runs each client's 20 MiB flow on the other backend than {@link LARGE_ON} says (set on one runtime of two). */
  flipLargeBackends?: boolean;
  /** Settings SDK clients need on this runtime. */
  sdkDefaults?: Partial<S3ClientConfig>;
  /** Cleans up what `native` uses. */
  close?(): Promise<void>;
}

/** The matrix's gateway config. */
export function matrixConfig(s3: S3rverHandle, native: NativeBucket, azurite: AzuriteHandle): Record<string, unknown> {
  return {
    buckets: [
      { name: MATRIX_BUCKETS.native, anonymous_access: false, ...native(MATRIX_BUCKETS.native) },
      {
        name: MATRIX_BUCKETS.s3,
        backend_type: "s3",
        anonymous_access: false,
        backend_options: { endpoint: s3.endpoint, bucket_name: "matrix", region: s3.region, access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: "true" },
      },
      {
        name: MATRIX_BUCKETS.az,
        backend_type: "az",
        anonymous_access: false,
        backend_options: { endpoint: azurite.endpoint, account_name: azurite.accountName, container_name: "matrix", access_key: azurite.accountKey },
      },
    ],
    roles: [],
    credentials: [
      {
        access_key_id: MATRIX_KEY.accessKeyId,
        secret_access_key: MATRIX_KEY.secretAccessKey,
        principal_name: "client-matrix",
        created_at: "2024-01-01T00:00:00Z",
        enabled: true,
        allowed_scopes: [
          {
            bucket: "*",
            prefixes: [],
            actions: ["get_object", "get_object_version", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"],
          },
        ],
      },
    ],
  };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Files of a directory tree, relative path (with `/`) → sha256. */
function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path).split("\\").join("/")] = sha256(readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

/** Same bytes, with a short message instead of a 20 MiB diff. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string) {
  expect({ what, length: actual.length, sha256: sha256(actual) }).toEqual({ what, length: expected.length, sha256: sha256(expected) });
}

interface MatrixWorld {
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

/** Runs the client matrix against a runtime (call at the top level of a test file). */
export function runClientMatrix(name: string, runtime: ClientMatrixRuntime): void {
  describe(`client matrix: ${name}`, () => {
    let world: MatrixWorld | undefined;
    const requestLines: RequestLine[] = [];
    const onRequestLine = (line: RequestLine) => void requestLines.push(line);
    // What was started, stopped in reverse order even when the set-up failed halfway.
    const cleanups: (() => Promise<unknown>)[] = [];

    beforeAll(async () => {
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
      world = next;
    }, 300_000);

    afterAll(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    }, 120_000);

    const largeOn = (id: string): Backend | undefined => {
      const backend = LARGE_ON[id];
      return backend && runtime.flipLargeBackends ? (backend === "native" ? "s3" : "native") : backend;
    };
    const backendLabel = (backend: Backend) => (backend === "native" ? runtime.nativeLabel : backend === "az" ? "Azure-backed" : "s3rver-backed");
    const current = () => {
      if (!world) throw new Error("the client matrix world did not start (see the beforeAll error)");
      return world;
    };

    const targetFor = (scheme: Scheme, style: AddressingStyle, clientId: string): ClientTarget => {
      const w = current();
      const port = Number(new URL(w.gateways[scheme].endpoint).port);
      const host = style === "path" ? "127.0.0.1" : MATRIX_DOMAIN;
      const work = join(w.dir, "work", clientId, `${scheme}-${style}`);
      mkdirSync(work, { recursive: true });
      return {
        scheme,
        style,
        host,
        port,
        endpoint: `${scheme}://${host}:${port}`,
        ...(scheme === "https" && { caPath: w.ca.caPath }),
        credentials: MATRIX_KEY,
        region: REGION,
        work,
        ...(runtime.sdkDefaults && { sdkDefaults: runtime.sdkDefaults }),
        ...(style === "virtual" && { loopbackDomain: MATRIX_DOMAIN, loopbackProxy: w.proxy.url }),
      };
    };

    const getBytes = async (scheme: Scheme, bucket: string, key: string) => {
      const response = await current().sdk[scheme].send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return response.Body!.transformToByteArray();
    };
    const etagOf = async (scheme: Scheme, bucket: string, key: string) =>
      (await current().sdk[scheme].send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
    const listAll = async (scheme: Scheme, bucket: string, prefix: string) => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await current().sdk[scheme].send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys;
    };
    const fetchWithCurl = async (url: string, scheme: Scheme, out: string) => {
      requireTool("curl", () => whichTool("curl") !== undefined, "apt-get install -y curl");
      const result = await runTool("curl", ["-sS", "-o", out, "-w", "%{http_code}", ...curlResolveArguments(url, MATRIX_DOMAIN), ...(scheme === "https" ? ["--cacert", current().ca.caPath] : []), url]);
      if (result.code !== 0 || result.stdout !== "200") {
        let body = "";
        try {
          body = readFileSync(out, "utf8").slice(0, 2000);
        } catch {
          // no body
        }
        throw new Error(`curl ${url} -> ${result.stdout} (exit ${result.code}) ${result.stderr}\n${body}`);
      }
      return readFileSync(out);
    };
    /** PUTs a file to a presigned URL with curl; fails unless the answer is 200. */
    const uploadWithCurl = async (url: string, scheme: Scheme, file: string, out: string) => {
      requireTool("curl", () => whichTool("curl") !== undefined, "apt-get install -y curl");
      const result = await runTool("curl", ["-sS", "-o", out, "-w", "%{http_code}", "-T", file, ...curlResolveArguments(url, MATRIX_DOMAIN), ...(scheme === "https" ? ["--cacert", current().ca.caPath] : []), url]);
      if (result.code !== 0 || result.stdout !== "200") {
        throw new Error(`curl -T ${url} -> ${result.stdout} (exit ${result.code}) ${result.stderr}\n${readFileSync(out, "utf8").slice(0, 2000)}`);
      }
    };
    const prepare = (client: MatrixClient) => client.require();

    for (const scheme of ["http", "https"] as const) {
      describe(scheme, () => {
        for (const client of matrixClients()) {
          describe(client.label, () => {
            for (const [backend, style] of combinations(scheme, client)) {
              {
                const bucket = MATRIX_BUCKETS[backend];
                const where = `${backendLabel(backend)} bucket, ${style === "path" ? "path-style" : "virtual-hosted"}`;
                const prefix = `${client.id}/${scheme}-${style}/`;
                const target = () => targetFor(scheme, style, client.id);

                it(`uploads and downloads a small file (${where})`, async () => {
                  prepare(client);
                  const t = target();
                  const original = readFileSync(current().files.small);
                  await client.upload(t, current().files.small, bucket, `${prefix}small.bin`);
                  expectSameBytes(await getBytes(scheme, bucket, `${prefix}small.bin`), original, "stored object");
                  const out = join(t.work, "small.out");
                  await client.download(t, bucket, `${prefix}small.bin`, out);
                  expectSameBytes(readFileSync(out), original, "downloaded file");
                  if (client.rangedRead && style === "path") {
                    const ranged = join(t.work, "ranged.out");
                    await client.rangedRead(t, bucket, `${prefix}small.bin`, 1000, 5999, ranged);
                    expectSameBytes(readFileSync(ranged), original.subarray(1000, 6000), "ranged read");
                  }
                });

                it(`${client.syncUp ? "syncs a small tree both ways, then deletes it recursively" : "deletes a small tree with a batch delete"} (${where})`, async () => {
                  prepare(client);
                  const t = target();
                  const w = current();
                  const treePrefix = `${prefix}tree/`;
                  const expected = treeDigest(w.files.tree);
                  if (client.syncUp && client.syncDown) {
                    await client.syncUp(t, w.files.tree, bucket, treePrefix);
                    const stored: Record<string, string> = {};
                    for (const key of await listAll(scheme, bucket, treePrefix)) stored[key.slice(treePrefix.length)] = sha256(await getBytes(scheme, bucket, key));
                    expect(stored).toEqual(expected);
                    const down = join(t.work, "tree-down");
                    await rm(down, { recursive: true, force: true });
                    mkdirSync(down);
                    await client.syncDown(t, bucket, treePrefix, down);
                    expect(treeDigest(down)).toEqual(expected);
                  } else {
                    for (const relativePath of Object.keys(expected)) {
                      await w.sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: `${treePrefix}${relativePath}`, Body: readFileSync(join(w.files.tree, relativePath)) }));
                    }
                  }
                  const keys = await listAll(scheme, bucket, treePrefix);
                  expect(keys.length).toBe(Object.keys(expected).length);
                  await client.deleteRecursive(t, bucket, treePrefix, keys);
                  expect(await listAll(scheme, bucket, treePrefix)).toEqual([]);
                });

                it(`lists ${LIST_COUNT} keys (${where})`, async () => {
                  prepare(client);
                  const keys = await client.list(target(), bucket, LIST_PREFIX);
                  expect(keys.length).toBe(LIST_COUNT);
                  expect([...keys].sort()).toEqual(current().listKeys);
                });

                for (const presigner of client.putPresigners ?? []) {
                  it(`presigns a PUT with ${presigner.name}, uploaded by curl (${where})`, async () => {
                    prepare(client);
                    const t = target();
                    const original = readFileSync(current().files.small);
                    const key = `${prefix}presigned-put.bin`;
                    const url = await presigner.url(t, bucket, key);
                    expect(url.startsWith(style === "path" ? `${scheme}://127.0.0.1:${t.port}/${bucket}/` : `${scheme}://${bucket}.${MATRIX_DOMAIN}:${t.port}/`), url).toBe(true);
                    await uploadWithCurl(url, scheme, current().files.small, join(t.work, "presigned-put.out"));
                    expectSameBytes(await getBytes(scheme, bucket, key), original, "stored object");
                  });
                }

                if (client.stat) {
                  const stat = client.stat;
                  it(`stats an object: size and ETag (${where})`, async () => {
                    prepare(client);
                    const key = `${prefix}stat.bin`;
                    const original = readFileSync(current().files.small);
                    await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: original }));
                    expect(await stat(target(), bucket, key)).toEqual({ size: original.length, etag: await etagOf(scheme, bucket, key) });
                  });
                }

                for (const presigner of client.presigners) {
                  it(`presigns a GET with ${presigner.name}, fetched by curl (${where})${presigner.sigv2 ? " [SigV2]" : ""}`, async () => {
                    prepare(client);
                    const t = target();
                    const original = readFileSync(current().files.small);
                    const key = `${prefix}presigned.bin`;
                    await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: original }));
                    const url = await presigner.url(t, bucket, key);
                    expect(url.startsWith(style === "path" ? `${scheme}://127.0.0.1:${t.port}/${bucket}/` : `${scheme}://${bucket}.${MATRIX_DOMAIN}:${t.port}/`), url).toBe(true);
                    expectSameBytes(await fetchWithCurl(url, scheme, join(t.work, "presigned.out")), original, "presigned GET");
                  });
                }
              }
            }

            const largeBackend = largeOn(client.id);
            if (scheme === "https" && largeBackend) {
              for (const backend of [largeBackend]) {
                it(`uploads and downloads a 20 MiB file (${backendLabel(backend)} bucket, path-style)`, async () => {
                  prepare(client);
                  const t = targetFor(scheme, "path", client.id);
                  const bucket = MATRIX_BUCKETS[backend];
                  const key = `${client.id}/large.bin`;
                  const original = readFileSync(current().files.large);
                  await client.upload(t, current().files.large, bucket, key);
                  expectSameBytes(await getBytes(scheme, bucket, key), original, "stored object");
                  // A multipart upload's ETag is "<md5 of the part MD5s>-<part count>" (s3rver gives a whole-object MD5).
                  if (client.multipart && backend === "native") expect(await etagOf(scheme, bucket, key)).toMatch(/-\d+"$/);
                  const out = join(t.work, "large.out");
                  await client.download(t, bucket, key, out);
                  expectSameBytes(readFileSync(out), original, "downloaded file");
                  await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "" }));
                }, 180_000);

                if (client.uploadStream) {
                  const uploadStream = client.uploadStream;
                  it(`uploads a 70 MiB stream of unknown length in parts (${backendLabel(backend)} bucket, path-style)`, async () => {
                    prepare(client);
                    const t = targetFor(scheme, "path", client.id);
                    const bucket = MATRIX_BUCKETS[backend];
                    const key = `${client.id}/stream.bin`;
                    const size = 70 * 1024 * 1024;
                    const block = Buffer.alloc(1024 * 1024);
                    for (let index = 0; index < block.length; index++) block[index] = (index * 31) % 251;
                    const hash = createHash("sha256");
                    async function* chunks() {
                      for (let sent = 0; sent < size; sent += block.length) {
                        hash.update(block);
                        yield block;
                      }
                    }
                    await uploadStream(t, bucket, key, Readable.from(chunks()));
                    const stored = await getBytes(scheme, bucket, key);
                    expect(stored.length).toBe(size);
                    expect(createHash("sha256").update(stored).digest("hex")).toBe(hash.digest("hex"));
                    await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "" }));
                  }, 300_000);
                }
              }
            }
          });
        }

        describe("GDAL (/vsis3/)", () => {
          const rasters = () => {
            requireGdal();
            const w = current();
            if (!w.rasters) throw new Error(`the GeoTIFF fixtures could not be made: ${String(w.rasterError)}`);
            return w.rasters;
          };
          for (const [backend, style] of combinations(scheme)) {
            {
              const bucket = MATRIX_BUCKETS[backend];
              const where = `${backendLabel(backend)} bucket, ${style === "path" ? "path-style" : "virtual-hosted"}`;
              const prefix = `gdal/${scheme}-${style}/`;
              it(`reads a GeoTIFF's header and stats with ranged reads (${where})`, async () => {
                const { small } = rasters();
                await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}small.tif`, Body: readFileSync(small) }));
                const t = targetFor(scheme, style, "gdal");
                expect(await rasterSummary(`/vsis3/${bucket}/${prefix}small.tif`, gdalEnv(t))).toEqual(await rasterSummary(small, gdalEnv()));
              });
              it(`writes a GeoTIFF with gdal_translate (${where})`, async () => {
                const { grid } = rasters();
                const t = targetFor(scheme, style, "gdal");
                const local = join(t.work, "written.tif");
                await mustRun("gdal_translate", [...SMALL_TIFF_OPTIONS, grid, local], { env: gdalEnv() });
                await mustRun("gdal_translate", [...SMALL_TIFF_OPTIONS, grid, `/vsis3/${bucket}/${prefix}written.tif`], {
                  env: gdalEnv(t, { CPL_VSIL_USE_TEMP_FILE_FOR_RANDOM_WRITE: "YES" }),
                });
                expectSameBytes(await getBytes(scheme, bucket, `${prefix}written.tif`), readFileSync(local), "GeoTIFF written through /vsis3/");
              });
              it(`writes a GeoPackage with ogr2ogr and reads it back (${where})`, async () => {
                requireGdal();
                const t = targetFor(scheme, style, "gdal");
                const input = join(t.work, "cities.geojson");
                writeVectorFixture(input);
                // A GeoPackage is SQLite, written at random offsets: GDAL stages it in a temp file, then uploads it.
                await mustRun("ogr2ogr", ["-f", "GPKG", `/vsis3/${bucket}/${prefix}cities.gpkg`, input], { env: gdalEnv(t, { CPL_VSIL_USE_TEMP_FILE_FOR_RANDOM_WRITE: "YES" }) });
                const local = join(t.work, "cities.gpkg");
                writeFileSync(local, await getBytes(scheme, bucket, `${prefix}cities.gpkg`));
                const expected = await vectorSummary(input, gdalEnv());
                expect(expected).toHaveLength(3);
                expect(await vectorSummary(local, gdalEnv())).toEqual(expected);
                expect(await vectorSummary(`/vsis3/${bucket}/${prefix}cities.gpkg`, gdalEnv(t))).toEqual(expected);
              });
            }
          }
          if (scheme === "https") {
            for (const backend of [largeOn("gdal")!]) {
              it(`writes a 20 MiB GeoTIFF (multipart) and reads its checksum back (${backendLabel(backend)} bucket, path-style)`, async () => {
                const { large } = rasters();
                const bucket = MATRIX_BUCKETS[backend];
                const t = targetFor(scheme, "path", "gdal");
                const local = join(t.work, "large-copy.tif");
                await mustRun("gdal_translate", ["-q", "-of", "GTiff", large, local], { env: gdalEnv() });
                await mustRun("gdal_translate", ["-q", "-of", "GTiff", large, `/vsis3/${bucket}/gdal/large.tif`], {
                  env: gdalEnv(t, { CPL_VSIL_USE_TEMP_FILE_FOR_RANDOM_WRITE: "YES", VSIS3_CHUNK_SIZE: "5" }),
                });
                expectSameBytes(await getBytes(scheme, bucket, "gdal/large.tif"), readFileSync(local), "GeoTIFF written through /vsis3/");
                if (backend === "native") expect(await etagOf(scheme, bucket, "gdal/large.tif")).toMatch(/-\d+"$/);
                expect(await rasterSummary(`/vsis3/${bucket}/gdal/large.tif`, gdalEnv(t))).toEqual(await rasterSummary(local, gdalEnv()));
                await current().sdk[scheme].send(new PutObjectCommand({ Bucket: bucket, Key: "gdal/large.tif", Body: "" }));
              }, 180_000);
            }
          }
        });
      });
    }

    // Last: what the clients called, across every test above.
    recordClientCalls(name, () => requestLines);
  });
}
