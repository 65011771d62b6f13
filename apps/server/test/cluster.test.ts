/**
 * `multistore --workers N`: N worker processes behind one address, each logging as itself; a worker that dies is
 * replaced; SIGTERM drains every worker and the primary exits 0; fs writes from different workers exclude each other.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, signedHeaders, signedRawRequest } from "@multistore/testing";
import { getFresh } from "./helpers/fresh-get.js";

const cli = join(import.meta.dirname, "../dist/cli.js");
const KEY = { accessKeyId: "AKIACLUSTER000000001", secretAccessKey: "cluster-secret-00000000000000000000000001" };

interface Started {
  child: ChildProcess;
  endpoint: string;
  /** Everything the cluster wrote to its standard error so far. */
  stderr: () => string;
  lines: () => Record<string, unknown>[];
  waitFor: (predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
}

/** Starts the cluster on a port of its own: workers that all died rebind it (port 0 would give them another). */
async function startCluster(config: string, workers: number, nodeArguments: string[] = []): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArguments, cli, "--config", config, "--listen", `127.0.0.1:${port}`, "--workers", String(workers)], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let stderr = "";
  const parsed = () =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const waitFor = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = parsed().find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        child.stdout!.off("data", check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        child.stdout!.off("data", check);
        reject(new Error(`no such log line within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      if (!check()) child.stdout!.on("data", check);
    });
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  return waitFor((line) => line.role === "primary" && line.msg === "multistore listening").then((line) => ({
    child,
    endpoint: String(line.address),
    stderr: () => stderr,
    lines: parsed,
    waitFor,
  }));
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

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

/**
 * Starts two workers serving a fresh directory as bucket `files` (anonymous reads, `hello.txt` holding `hello`), runs
 * `body`, then stops them (SIGTERM: exit code 0) and removes the directory. `nodeArguments` go before the CLI.
 */
async function withFsCluster(name: string, hello: string, body: (started: Started, config: string) => Promise<void>, nodeArguments: (dir: string) => Promise<string[]> = async () => []): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `multistore-cluster-${name}-`));
  const config = join(dir, "config.json");
  await writeFile(join(dir, "hello.txt"), hello);
  await writeFile(config, JSON.stringify({ buckets: [{ name: "files", backend_type: "fs", anonymous_access: true, backend_options: { root: dir } }], roles: [], credentials: [] }));
  const started = await startCluster(config, 2, await nodeArguments(dir));
  try {
    await body(started, config);
    started.child.kill("SIGTERM");
    expect((await exited(started.child)).code).toBe(0);
  } finally {
    if (started.child.exitCode === null) started.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}

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

describe("multistore --workers, when the files change after the start", () => {
  it("starts a replacement on the config the primary started with, whatever the file holds by then", async () => {
    await withFsCluster("snapshot", "as started\n", async (started, config) => {
      // (The worker's own line may come after the primary's, on another pipe: waited for.)
      const before = await started.waitFor((line) => line.msg === "multistore listening" && line.worker === 2);
      // The file changes after the start (a bad edit): the workers served it as it was, and so must a replacement;
      // one that read the file again would refuse to start, or serve another config than its sibling.
      await writeFile(config, "{ not json");
      process.kill(Number(before.pid), "SIGKILL");
      const replacement = await started.waitFor((line) => line.msg === "multistore listening" && line.worker === 2 && line.pid !== before.pid);
      expect(started.lines().filter((line) => line.msg === "worker exited; starting a replacement" && line.code === 2)).toEqual([]);
      const linesBefore = started.lines().length;
      for (let index = 0; index < 8; index++) expect(await getFresh(`${started.endpoint}/files/hello.txt`)).toBe(200);
      await started.waitFor(() => started.lines().slice(linesBefore).filter((line) => line.msg === "request").length >= 8);
      // Worker 2 is the replacement by now.
      const servedBy = new Set(started.lines().slice(linesBefore).filter((line) => line.msg === "request").map((line) => line.worker));
      expect(servedBy.has(2)).toBe(true);
      expect(alive(Number(replacement.pid))).toBe(true);
    });
  }, 40_000);

  it("passes on what each worker writes to standard error, every line prefixed with the worker's slot", async () => {
    // Only in workers: a note of two lines, then a line without its end (as a crash's last words may be).
    const preload = async (dir: string) => {
      const path = join(dir, "preload.mjs");
      await writeFile(path, 'import cluster from "node:cluster";\nif (cluster.isWorker) process.stderr.write(`note from ${process.env.MULTISTORE_WORKER_SLOT}\\nsecond line\\nunfinished`);\n');
      return ["--import", path];
    };
    await withFsCluster("stderr", "noted\n", async (started) => {
      expect(await getFresh(`${started.endpoint}/files/hello.txt`)).toBe(200);
      await expect.poll(() => started.stderr(), { timeout: 10_000 }).toContain("[worker 2] second line\n");
      const lines = started.stderr().split("\n");
      for (const slot of [1, 2]) expect(lines).toEqual(expect.arrayContaining([`[worker ${slot}] note from ${slot}`, `[worker ${slot}] second line`]));
      // Nothing a worker wrote there comes through without its slot.
      expect(lines.filter((line) => /note from|second line/.test(line) && !line.startsWith("[worker "))).toEqual([]);
    }, preload);
  }, 40_000);

  it("passes on what a worker wrote to standard error just before it exited, however much", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multistore-cluster-last-words-"));
    const errors = openSync(join(dir, "stderr.txt"), "w");
    let child: ChildProcess | undefined;
    try {
      const config = join(dir, "config.json");
      await writeFile(config, JSON.stringify({ buckets: [{ name: "files", backend_type: "fs", anonymous_access: true, backend_options: { root: dir } }], roles: [], credentials: [] }));
      // On SIGUSR2, a worker writes 2 MiB (far more than a pipe holds) and exits at once, as a crash would.
      const preload = join(dir, "last-words.mjs");
      await writeFile(preload, 'import cluster from "node:cluster";\nif (cluster.isWorker) process.on("SIGUSR2", () => { process.stderr.write("x".repeat(100).concat("\\n").repeat(20_000) + "END of worker " + process.env.MULTISTORE_WORKER_SLOT + "\\n"); process.exit(3); });\n');
      // Standard error to a file, which never makes the primary drop a line.
      child = spawn(process.execPath, ["--import", preload, cli, "--config", config, "--listen", `127.0.0.1:${await freePort()}`, "--workers", "2"], { stdio: ["ignore", "pipe", errors] });
      let output = "";
      child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const listening = () => output.split("\n").filter((line) => line.includes('"msg":"multistore listening"') && line.includes('"worker":1'));
      await expect.poll(listening, { timeout: 15_000 }).toHaveLength(1);
      process.kill(Number((JSON.parse(listening()[0]!) as { pid: number }).pid), "SIGUSR2");
      await expect.poll(() => readFileSync(join(dir, "stderr.txt"), "utf8").includes("[worker 1] END of worker 1\n"), { timeout: 10_000 }).toBe(true);
    } finally {
      child?.kill("SIGKILL");
      closeSync(errors);
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it("passes on every worker's last words before the primary exits, when a failed start stops it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multistore-cluster-failed-start-"));
    const errors = openSync(join(dir, "stderr.txt"), "w");
    try {
      const config = join(dir, "config.json");
      await writeFile(config, JSON.stringify({ buckets: [{ name: "files", backend_type: "fs", anonymous_access: true, backend_options: { root: dir } }], roles: [], credentials: [] }));
      const preload = join(dir, "crash.mjs");
      // Worker 1 fails to start (before it listens, once worker 2 is up), which stops the start: worker 2, told to
      // stop, says so as it exits.
      await writeFile(
        preload,
        'import cluster from "node:cluster";\nconst slot = process.env.MULTISTORE_WORKER_SLOT;\nif (cluster.isWorker && slot === "1") { await new Promise((resolve) => setTimeout(resolve, 2000)); process.stderr.write("CRASH STACK of worker 1\\n    at start\\n"); process.exit(1); }\nif (cluster.isWorker && slot === "2") process.on("SIGTERM", () => { process.stderr.write("LAST WORDS of worker 2\\n".repeat(50)); process.exit(0); });\n',
      );
      const child = spawn(process.execPath, ["--import", preload, cli, "--config", config, "--listen", `127.0.0.1:${await freePort()}`, "--workers", "2"], { stdio: ["ignore", "ignore", errors] });
      expect((await exited(child)).code).toBe(1);
      const written = readFileSync(join(dir, "stderr.txt"), "utf8");
      expect(written).toContain("[worker 1] CRASH STACK of worker 1\n[worker 1]     at start\n");
      expect(written).toContain("[worker 2] LAST WORDS of worker 2\n".repeat(50));
    } finally {
      closeSync(errors);
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it("starts workers whose code runs late (a --import preload that awaits), each getting its config", async () => {
    // Only in workers: the primary forks them at once, and a snapshot sent then would find no listener yet.
    const preload = async (dir: string) => {
      const path = join(dir, "preload.mjs");
      await writeFile(path, 'import cluster from "node:cluster";\nif (cluster.isWorker) await new Promise((resolve) => setTimeout(resolve, 300));\n');
      return ["--import", path];
    };
    await withFsCluster("preload", "late but served\n", async (started) => expect(await getFresh(`${started.endpoint}/files/hello.txt`)).toBe(200), preload);
  }, 40_000);
});
