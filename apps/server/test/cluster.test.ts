/**
 * `multistore --workers N`: N worker processes behind one address, each logging as itself; a worker that dies is
 * replaced; SIGTERM drains every worker and the primary exits 0; fs writes from different workers exclude each other;
 * workers whose primary dies drain. (Their start and standard error: cluster-start.test.ts.)
 */

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders, signedRawRequest } from "@multistore/testing";
import { alive, exited, startCluster, type Started } from "./helpers/cluster.js";
import { getFresh } from "./helpers/fresh-get.js";

const KEY = { accessKeyId: "AKIACLUSTER000000001", secretAccessKey: "cluster-secret-00000000000000000000000001" };

describe("multistore --workers", () => {
  let dir: string;
  let cluster: Started;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "multistore-cluster-"));
    const config = join(dir, "config.json");
    await writeFile(join(dir, "hello.txt"), "hello from a worker\n");
    await writeFile(
      config,
      JSON.stringify({
        buckets: [{ name: "files", backend_type: "fs", anonymous_access: true, backend_options: { root: dir } }],
        roles: [],
        credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "writer", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "files", prefixes: [], actions: ["get_object", "put_object", "delete_object"] }] }],
      }),
    );
    cluster = await startCluster(config, 2);
  });

  afterAll(async () => {
    if (cluster.child.exitCode === null) cluster.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("serves from every worker, each logging as itself", async () => {
    // The primary reports the address once every worker listens; the workers' own lines may trail it.
    await cluster.waitFor(() => cluster.lines().filter((line) => line.msg === "multistore listening" && line.worker !== undefined).length === 2);
    const listening = cluster.lines().filter((line) => line.msg === "multistore listening" && line.worker !== undefined);
    expect(listening.map((line) => line.worker).sort()).toEqual([1, 2]);
    expect(new Set(listening.map((line) => line.pid)).size).toBe(2);
    for (let index = 0; index < 8; index++) expect(await getFresh(`${cluster.endpoint}/files/hello.txt`)).toBe(200);
    await cluster.waitFor(() => cluster.lines().filter((line) => line.msg === "request").length >= 8);
    const served = new Set(cluster.lines().filter((line) => line.msg === "request").map((line) => line.worker));
    expect(served).toEqual(new Set([1, 2]));
  });

  it("replaces a worker that dies, and keeps serving", async () => {
    const before = cluster.lines().find((line) => line.msg === "multistore listening" && line.worker === 2)!;
    process.kill(Number(before.pid), "SIGKILL");
    const logged = await cluster.waitFor((line) => line.msg === "worker exited; starting a replacement");
    expect(logged).toMatchObject({ level: 50, worker: 2, pid: before.pid, signal: "SIGKILL" });
    const replacement = await cluster.waitFor((line) => line.msg === "multistore listening" && line.worker === 2 && line.pid !== before.pid);
    expect(alive(Number(replacement.pid))).toBe(true);
    for (let index = 0; index < 4; index++) expect(await getFresh(`${cluster.endpoint}/files/hello.txt`)).toBe(200);
  });

  it("replaces every worker when all die at once, the primary staying up", async () => {
    const pids = cluster
      .lines()
      .filter((line) => line.msg === "multistore listening" && line.worker !== undefined)
      .map((line) => Number(line.pid))
      .filter(alive);
    expect(pids).toHaveLength(2);
    const linesBefore = cluster.lines().length;
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await cluster.waitFor(() => cluster.lines().slice(linesBefore).filter((line) => line.msg === "multistore listening" && line.worker !== undefined).length === 2);
    expect(cluster.child.exitCode).toBeNull();
    for (let index = 0; index < 4; index++) expect(await getFresh(`${cluster.endpoint}/files/hello.txt`)).toBe(200);
  });

  it("lets exactly one of many concurrent create-only writes to one key win, whichever worker takes it", async () => {
    const attempts = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        signedRawRequest(cluster.endpoint, KEY, { method: "PUT", path: "/files/race.txt", body: `writer ${index}\n`, headers: { "if-none-match": "*", connection: "close" } }),
      ),
    );
    const statuses = attempts.map((attempt) => attempt.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200).every((status) => status === 412)).toBe(true);
    const winner = attempts.findIndex((attempt) => attempt.status === 200);
    expect(await readFile(join(dir, "race.txt"), "utf8")).toBe(`writer ${winner}\n`);
  });

  it("ignores SIGHUP (a closed terminal, a reload), saying so, and keeps serving", async () => {
    cluster.child.kill("SIGHUP");
    await cluster.waitFor((line) => line.role === "primary" && String(line.msg).startsWith("SIGHUP ignored"));
    expect(cluster.child.exitCode).toBeNull();
    expect(await getFresh(`${cluster.endpoint}/files/hello.txt`)).toBe(200);
  });

  it("drains every worker on SIGTERM: an upload in flight completes, then all processes exit 0", async () => {
    const workers = cluster.lines().filter((line) => line.msg === "multistore listening" && line.worker !== undefined).map((line) => Number(line.pid)).filter(alive);
    const slow = new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${cluster.endpoint}/files/drained.txt`, { method: "PUT", headers: { "content-length": "7" }, agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      request.write("drai");
      setTimeout(() => {
        cluster.child.kill("SIGTERM");
        setTimeout(() => request.end("ned"), 300);
      }, 300);
    });
    // Anonymous writes are refused (403) only once the body is read: the request still has to finish.
    expect(await slow).toBe(403);
    expect(await exited(cluster.child)).toEqual({ code: 0, signal: null });
    expect(workers.filter(alive)).toEqual([]);
    expect(cluster.lines()).toContainEqual(expect.objectContaining({ role: "primary", msg: "shutting down: draining every worker" }));
    expect(cluster.lines().filter((line) => line.msg === "stopped" && line.worker !== undefined).length).toBeGreaterThanOrEqual(2);
  });
});

describe("multistore --workers, when the primary dies", () => {
  it("drains every worker: a download in flight completes, an upload is answered, then the workers exit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multistore-cluster-orphans-"));
    const config = join(dir, "config.json");
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    await writeFile(join(dir, "big.bin"), big);
    await writeFile(
      config,
      JSON.stringify({
        buckets: [{ name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root: dir } }],
        roles: [],
        credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "writer", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "files", prefixes: [], actions: ["get_object", "put_object"] }] }],
      }),
    );
    // Workers that keep writing to standard error while they drain: a pipe to a primary that is gone.
    const ticker = join(dir, "ticker.mjs");
    await writeFile(ticker, 'import cluster from "node:cluster";\nif (cluster.isWorker) setInterval(() => process.stderr.write("tick\\n"), 50).unref();\n');
    const started = await startCluster(config, 2, ["--import", ticker]);
    let workers: number[] = [];
    try {
      await started.waitFor(() => started.lines().filter((line) => line.msg === "multistore listening" && line.worker !== undefined).length === 2);
      workers = started.lines().filter((line) => line.msg === "multistore listening" && line.worker !== undefined).map((line) => Number(line.pid));
      const sign = (method: string, path: string, extra: Record<string, string> = {}) => signedHeaders(started.endpoint, KEY, { method, path, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...extra } });
      const getHeaders = await sign("GET", "/files/big.bin");
      const putHeaders = await sign("PUT", "/files/orphaned.txt", { "content-length": "7" });
      // A reader that has taken the headers and little else, and a writer halfway through its body.
      const download = new Promise<number>((resolve, reject) => {
        httpRequest(`${started.endpoint}/files/big.bin`, { headers: getHeaders, agent: false }, (response) => {
          let received = 0;
          response.pause();
          setTimeout(() => response.resume(), 900);
          response.on("data", (chunk: Buffer) => (received += chunk.length));
          response.on("end", () => resolve(received));
          response.on("error", reject);
        })
          .on("error", reject)
          .end();
      });
      const upload = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${started.endpoint}/files/orphaned.txt`, { method: "PUT", headers: putHeaders, agent: false }, (response) => {
          let body = "";
          response.on("data", (chunk: Buffer) => (body += chunk.toString()));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        });
        request.on("error", reject);
        request.write("orph");
        setTimeout(() => {
          started.child.kill("SIGKILL");
          setTimeout(() => request.end("ans"), 300);
        }, 300);
      });
      // The whole object, not a connection cut at the primary's death.
      expect(await download).toBe(big.length);
      // The fs backend's write locks were the primary's: the write is refused as a retryable 503, not cut off.
      const answered = await upload;
      expect([answered.status, answered.body]).toEqual([503, expect.stringContaining("<Code>ServiceUnavailable</Code>")]);
      await expect.poll(() => workers.filter(alive), { timeout: 15_000 }).toEqual([]);
      expect(started.lines()).toContainEqual(expect.objectContaining({ signal: "primary gone", msg: "shutting down: draining in-flight requests" }));
    } finally {
      for (const pid of workers.filter(alive)) process.kill(pid, "SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
