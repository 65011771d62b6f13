/**
 * The soak run (BENCH_SECTIONS=soak, on demand): 512 keep-alive connections for 60 s (BENCH_SOAK_SECONDS), every
 * other request a 1 KiB GET and the others a 4 KiB presigned PUT; then the errors (must be 0), and the server's RSS
 * and open files after a warm-up round and after the soak, each once idle connections have closed (they must stay
 * where they were: nothing leaks).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memory, openFiles, pinned } from "./processes.mjs";

/** Runs the soak against `server` with a GET URL and a presigned PUT URL; resolves the numbers. */
export async function soak(server, getUrl, putUrl, { seconds, connections, cpus, threads }) {
  const dir = mkdtempSync(join(tmpdir(), "multistore-soak-"));
  const script = join(dir, "mixed.lua");
  const get = new URL(getUrl);
  const put = new URL(putUrl);
  // wrk sends to one host; the paths (with their queries) alternate.
  writeFileSync(
    script,
    `local body = string.rep("x", 4096)
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then return wrk.format("PUT", ${JSON.stringify(put.pathname + put.search)}, { ["Content-Length"] = "4096" }, body) end
  return wrk.format("GET", ${JSON.stringify(get.pathname + get.search)})
end
`,
  );
  const load = (runSeconds) => {
    // wrk's 2 s default would count a request queued for its bucket's slots as a failure; the server bounds waits.
    const run = pinned(cpus, "wrk", [`-t${threads}`, `-c${connections}`, `-d${runSeconds}s`, "--timeout", "20s", "-s", script, getUrl]);
    return new Promise((resolve, reject) => {
      const child = spawn(run.command, run.args, { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (chunk) => {
        text += chunk;
      });
      child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
    });
  };
  // Idle backend connections close after their keep-alive (10 s): look once they have.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 12_000));
  // A short round first: what the heap grows to under this load is not a leak; what grows after it would be.
  await load(Math.min(10, seconds));
  await settle();
  const before = { rss: memory(server.pid).rss, files: openFiles(server.pid) };
  const output = await load(seconds);
  await settle();
  const after = { rss: memory(server.pid).rss, files: openFiles(server.pid) };
  rmSync(dir, { recursive: true, force: true });
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(/(\d+) requests in/.exec(output)?.[1] ?? 0),
    rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: socketErrors ? socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0,
    before,
    after,
  };
}
