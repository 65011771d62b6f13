/**
 * Test harness that runs a real Redis Cluster: `nodes` redis-server processes (Debian's package `redis-server`) in
 * cluster mode on 127.0.0.1, masters only, the 16384 hash slots split evenly between them, joined with CLUSTER MEET
 * and ready once every node reports `cluster_state:ok`. Each node has its own temporary directory, removed on close.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/** A running Redis Cluster. */
export interface RedisClusterHandle {
  /** `redis://127.0.0.1:<port>` of the first node (a seed: clients discover the others). */
  url: string;
  /** Every node's port, in slot order. */
  ports: number[];
  /** The index in `ports` of the node that holds `key`'s hash slot. */
  nodeOf(key: string): Promise<number>;
  /** Kills one node (an outage of its slots; the others declare the cluster down after 2 s). */
  stopNode(index: number): Promise<void>;
  /** Stops every node and removes their directories. Safe to call more than once. */
  close(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** How many masters (default 3; at least 1). */
  nodes?: number;
  /** The binary (default `redis-server` on PATH). */
  binary?: string;
  /** How long to wait for the cluster to be ready, in ms (default 20000). */
  startupTimeoutMs?: number;
}

const SLOTS = 16384;
/** A node's cluster bus listens on its port + 10000. */
const BUS_OFFSET = 10_000;

/** A free port whose bus port is free too. */
async function freeNodePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET > 65_535) continue;
    const bus = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port + BUS_OFFSET, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (bus) return port;
  }
}

/** The first slot of node `index` of `count` (slots are split in even ranges). */
function firstSlot(index: number, count: number): number {
  return Math.floor((index * SLOTS) / count);
}

/** Sends one inline command and resolves the first reply (enough for the replies used here). */
function command(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no reply to ${text}`));
    }, 2000);
    socket.once("connect", () => socket.write(`${text}\r\n`));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      // A simple reply, an error, or a whole bulk string.
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if ((reply.startsWith("+") || reply.startsWith("-") || reply.startsWith(":")) && reply.endsWith("\r\n")) finish();
      else if (bulk && reply.length >= bulk[0].length + Number(bulk[1]) + 2) finish();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    function finish() {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    }
  });
}

/** Starts a Redis Cluster; rejects naming the package to install when the binary is missing. */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error("nodes must be a positive integer");
  const binary = options.binary ?? "redis-server";
  const deadline = Date.now() + (options.startupTimeoutMs ?? 20_000);
  const children: ChildProcess[] = [];
  const directories: string[] = [];
  const ports: number[] = [];
  const exits: Promise<never>[] = [];
  let closed = false;

  const kill = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  // Nodes do not outlive a test process that exits without closing them.
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", killAll);

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    process.off("exit", killAll);
    await Promise.all(children.map(kill));
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  }

  try {
    for (let index = 0; index < count; index++) {
      const directory = await mkdtemp(join(tmpdir(), "multistore-redis-cluster-"));
      directories.push(directory);
      const port = await freeNodePort();
      ports.push(port);
      const child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--cluster-enabled", "yes", "--cluster-config-file", join(directory, "nodes.conf"), "--cluster-node-timeout", "2000"], { stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      const output: string[] = [];
      child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
      // A node that dies at start is reported with its own words, not after the startup timeout.
      exits.push(
        new Promise<never>((_, reject) => {
          child.once("error", (error) => reject(new Error(`cannot run ${binary} (install Debian's redis-server): ${error.message}`)));
          child.once("exit", (code) => reject(new Error(`${binary} on port ${port} exited with ${code}: ${output.join("").slice(-2000)}`)));
        }),
      );
      exits.at(-1)!.catch(() => {});
    }
    const died = Promise.race(exits);
    for (const port of ports) {
      while (!(await Promise.race([command(port, "PING").then((reply) => reply.startsWith("+PONG"), () => false), died]))) {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start in time`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    // Slots in even ranges, then every node meets every other (without waiting for gossip to spread the news).
    for (let index = 0; index < count; index++) {
      const first = firstSlot(index, count);
      const last = firstSlot(index + 1, count) - 1;
      const reply = await command(ports[index]!, `CLUSTER ADDSLOTSRANGE ${first} ${last}`);
      if (!reply.startsWith("+OK")) throw new Error(`CLUSTER ADDSLOTSRANGE on ${ports[index]}: ${reply.trim()}`);
    }
    for (const [index, port] of ports.entries()) {
      for (const other of ports.slice(0, index)) {
        const reply = await command(port, `CLUSTER MEET 127.0.0.1 ${other}`);
        if (!reply.startsWith("+OK")) throw new Error(`CLUSTER MEET from ${port}: ${reply.trim()}`);
      }
    }
    for (const port of ports) {
      while (!(await command(port, "CLUSTER INFO").then((reply) => reply.includes("cluster_state:ok") && reply.includes(`cluster_known_nodes:${count}`), () => false))) {
        if (Date.now() > deadline) throw new Error(`the Redis Cluster on ports ${ports.join(", ")} did not become ready in time`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${ports[0]}`,
    ports,
    async nodeOf(key) {
      const reply = await command(ports[0]!, `CLUSTER KEYSLOT ${key}`);
      const slot = Number(/^:(\d+)/.exec(reply)?.[1] ?? Number.NaN);
      if (!Number.isInteger(slot)) throw new Error(`CLUSTER KEYSLOT ${key}: ${reply.trim()}`);
      let index = 0;
      while (index + 1 < count && firstSlot(index + 1, count) <= slot) index++;
      return index;
    },
    stopNode: (index) => kill(children[index]!),
    close,
  };
}
