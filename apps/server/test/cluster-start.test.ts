/**
 * `multistore --workers N` around its workers' own start: a replacement serves the config the primary started with,
 * workers' standard error comes through the primary prefixed with their slot (to the last words of one that exits),
 * and workers whose code runs late, or that die at start, still leave a serving cluster.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "@multistore/testing";
import { alive, cli, exited, withFsCluster } from "./helpers/cluster.js";
import { getFresh } from "./helpers/fresh-get.js";

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

  it("survives a worker killed just after asking for its config (Ctrl-C or the OOM killer at start), and replaces it", async () => {
    // Worker 2's first process dies right after its request, while the primary is busy: the primary reads the request
    // and the channel's end together, and its answer fails (EPIPE), which ended the primary with exit code 1.
    const preload = async (dir: string) => {
      const path = join(dir, "killed-at-start.mjs");
      await writeFile(
        path,
        [
          'import cluster from "node:cluster";',
          'import { existsSync, writeFileSync } from "node:fs";',
          'const died = new URL("./died", import.meta.url);',
          "if (cluster.isPrimary) cluster.on(\"fork\", (worker) => {",
          "  if (worker.id !== 2) return;",
          "  const until = Date.now() + 10_000;",
          "  while (!existsSync(died) && Date.now() < until);",
          "  const settled = Date.now() + 200;",
          "  while (Date.now() < settled);",
          "});",
          'if (cluster.isWorker && process.env.MULTISTORE_WORKER_SLOT === "2" && !existsSync(died)) {',
          "  const send = process.send.bind(process);",
          '  process.send = (...args) => { const sent = send(...args); if (args[0]?.cmd !== "NODE_CLUSTER") { writeFileSync(died, ""); process.kill(process.pid, "SIGKILL"); } return sent; };',
          "}",
          "",
        ].join("\n"),
      );
      return ["--import", path];
    };
    await withFsCluster("killed-at-start", "served after all\n", async (started) => {
      expect(started.lines()).toContainEqual(expect.objectContaining({ role: "primary", msg: "worker exited; starting a replacement", worker: 2, signal: "SIGKILL" }));
      expect(await getFresh(`${started.endpoint}/files/hello.txt`)).toBe(200);
    }, preload);
  }, 40_000);
});
