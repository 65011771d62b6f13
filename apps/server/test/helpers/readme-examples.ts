/**
 * Helpers of readme-examples.test.ts: code blocks taken out of a README, and those blocks run as the programs a reader
 * would run (`node example.ts`, Node stripping the types), as child processes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { blocksOf } from "./markdown-fences.js";

/** The fenced code blocks of `lang` (```ts, ```toml, ...) in a Markdown file, in order. */
export function codeBlocks(file: string, lang: string): string[] {
  return blocksOf(readFileSync(file, "utf8"), lang);
}

/** A port nobody listens on now (the example listens on it next: a race no other test on 127.0.0.1 loses to). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The child's environment: the test's, less vitest's own variables (a nested vitest would take them as its own) and
 * NODE_OPTIONS (a reader's `node example.ts` runs with no loader or flag of the test runner's), plus `env`.
 */
export function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST") && name !== "NODE_OPTIONS"));
  return { ...base, ...env };
}

/**
 * `node <file>` with TypeScript types stripped: the default from Node 23.6 (and 22.18), named for older 22s. The
 * flag's experimental warning is not the example's output.
 */
const NODE_TS = ["--experimental-strip-types", "--disable-warning=ExperimentalWarning"];

/** An example server that printed its address. */
export interface RunningExample {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Everything it printed so far. */
  output(): string;
  /** Ends it (SIGTERM), resolved once it has exited. */
  stop(): Promise<void>;
}

/** Runs a server example and resolves once it prints `S3 on http://localhost:<port>`; rejects, with its output, if it exits first. */
export function startExample(file: string, options: { cwd: string; env?: Record<string, string>; children: ChildProcess[] }): Promise<RunningExample> {
  const child = spawn(process.execPath, [...NODE_TS, file], { cwd: options.cwd, env: childEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
  options.children.push(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /S3 on http:\/\/localhost:(\d+)/.exec(output);
      if (match) {
        resolve({
          endpoint: `http://127.0.0.1:${match[1]}`,
          output: () => output,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
      }
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("exit", (code) => reject(new Error(`${file} exited ${code} before listening:\n${output}`)));
  });
}

/** What a program that ran to its end printed. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` to its end (killed after `timeoutMs`). `ts`: strip types, as for an example file. */
export function runToEnd(args: string[], options: { cwd: string; env?: Record<string, string>; ts?: boolean; timeoutMs?: number }): Promise<Finished> {
  const child = spawn(process.execPath, [...(options.ts ? NODE_TS : []), ...args], { cwd: options.cwd, env: childEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
