/** Processes of the bench: spawning helpers pinned to CPUs, and reading their CPU time and memory from /proc. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";

const taskset = spawnSync("taskset", ["--version"]).status === 0;
const started = [];

/** CPUs of this machine and how the bench splits them: the proxy alone on its own, the rest for load and origin. */
export function cpuLayout() {
  const count = availableParallelism();
  if (!taskset || count < 2) return { count, pinned: false, proxy: undefined, load: undefined, proxyCount: count };
  if (count >= 16) return { count, pinned: true, load: "0-5", origin: "6-7", proxy: `8-${Math.min(count, 16) - 1}`, proxyCount: Math.min(count, 16) - 8 };
  const proxyCount = Math.max(1, Math.floor(count / 2));
  return { count, pinned: true, load: `0-${count - proxyCount - 1}`, origin: `0-${count - proxyCount - 1}`, proxy: `${count - proxyCount}-${count - 1}`, proxyCount };
}

/** The command pinned to `cpus` (a taskset list) when pinning is possible. */
export function pinned(cpus, command, args) {
  return cpus && taskset ? { command: "taskset", args: ["-c", cpus, command, ...args] } : { command, args };
}

/** Spawns a process that prints `{"port":N}` (or a line matching `ready`) once listening; resolves its port. */
export function spawnListening(command, args, { cpus, env, ready = /"port":(\d+)/, stdout = "ignore" } = {}) {
  const run = pinned(cpus, command, args);
  const child = spawn(run.command, run.args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
  started.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (!match) return;
      child.stdout.off("data", onData);
      // Later output (request logs) is drained and dropped, as a log shipper would consume it.
      if (stdout === "ignore") child.stdout.resume();
      resolve({ child, pid: child.pid, port: Number(match[1]), url: match[1] ? `http://127.0.0.1:${match[1]}` : undefined, output: () => output });
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}: ${output}`)));
  });
}

/** Stops everything the bench started. */
export async function stopAll() {
  await Promise.all(
    started.splice(0).map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", resolve);
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
}

/** A process and its descendants (a taskset wrapper execs; a cluster primary has workers). */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {}
  }
  const all = [];
  const visit = (id) => {
    all.push(id);
    for (const child of children.get(id) ?? []) visit(child);
  };
  visit(pid);
  return all;
}

/** CPU seconds (user + system) used so far by a process tree. */
export function cpuSeconds(pid) {
  let ticks = 0;
  for (const id of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${id}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}

/** Resident and peak resident memory (MB) of a process tree. */
export function memory(pid) {
  let rss = 0;
  let peak = 0;
  for (const id of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${id}/status`, "utf8");
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      peak += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    } catch {}
  }
  return { rss, peak };
}

/** Resets the peak-RSS counters of a process tree (so the next `memory().peak` is the peak since now). */
export function resetPeak(pid) {
  for (const id of processTree(pid)) {
    try {
      if (existsSync(`/proc/${id}/clear_refs`)) writeFileSync(`/proc/${id}/clear_refs`, "5");
    } catch {}
  }
}

/** Open file descriptors of a process tree. */
export function openFiles(pid) {
  let count = 0;
  for (const id of processTree(pid)) {
    try {
      count += readdirSync(`/proc/${id}/fd`).length;
    } catch {}
  }
  return count;
}
