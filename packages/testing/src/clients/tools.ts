/** Running real client programs: an isolated environment, async processes, and clear failures when one is missing. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";

/** The Debian packages of the client matrix, as .ci/run installs them. */
export const CLIENT_APT_INSTALL =
  "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends awscli python3-boto3 rclone s3cmd gdal-bin";

/** The outcome of a finished process. */
export interface ToolResult {
  code: number | null;
  stdout: string;
  /** stdout as bytes (for binary output). */
  stdoutBytes: Buffer;
  stderr: string;
}

/**
 * The parent environment without anything that would configure an S3 client behind the test's back (AWS_*,
 * RCLONE_*, S3CMD_*, GDAL/CPL settings, proxies, CA bundles), so every client sees only what its test gives it.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(AWS_|RCLONE_|S3CMD|GDAL_|CPL_|VSI|CURL_CA_BUNDLE$|REQUESTS_CA_BUNDLE$|https?_proxy$|all_proxy$|no_proxy$)/i.test(name)) continue;
    env[name] = value;
  }
  // A test run's Node options (loaders) are no business of the clients.
  delete env.NODE_OPTIONS;
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

/** Runs a program to completion without blocking the event loop (an in-process gateway keeps serving). */
export function runTool(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? cleanEnv(), cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(stdout);
      resolve({ code, stdout: stdoutBytes.toString(), stdoutBytes, stderr });
    });
  });
}

/** Runs a program and fails (with its command line and output) unless it exits 0; returns stdout. */
export async function mustRun(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return (await mustRunBytes(command, args, options)).toString();
}

/** As {@link mustRun}, returning stdout as bytes. */
export async function mustRunBytes(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Buffer> {
  const result = await runTool(command, args, options);
  if (result.code !== 0) {
    throw new Error(`\`${[command, ...args].join(" ")}\` exited ${result.code}\n--- stderr ---\n${result.stderr.slice(-4000)}\n--- stdout ---\n${result.stdout.slice(-2000)}`);
  }
  return result.stdoutBytes;
}

/** True when the program exits 0 (synchronous: only for set-up checks, never while a request is in flight). */
export function succeeds(command: string, args: string[]): boolean {
  return whichTool(command) !== undefined && spawnSync(command, args, { env: cleanEnv(), stdio: "ignore" }).status === 0;
}

/** A program's version output (stdout and stderr), or "" when it cannot run. Synchronous: set-up checks only. */
export function versionOf(command: string, args: string[]): string {
  const result = spawnSync(command, args, { env: cleanEnv(), encoding: "utf8" });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
}

/** True when both paths exist and resolve to the same file (pyenv shims resolve to the shim, not the interpreter). */
export function sameFile(a: string | undefined, b: string): boolean {
  try {
    return a !== undefined && realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Where a command resolves on PATH (`command -v`), or undefined. */
export function whichTool(command: string): string | undefined {
  if (command.startsWith("/")) return existsSync(command) ? command : undefined;
  const found = spawnSync("sh", ["-c", `command -v "$0"`, command], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

const checked = new Map<string, string | undefined>();

/**
 * Fails the calling test unless `check` passes (a client is installed), with how to install it: the matrix never
 * skips a client silently. Results are cached per key.
 */
export function requireTool(key: string, check: () => boolean, install: string): void {
  if (!checked.has(key)) checked.set(key, check() ? undefined : `${key} is not installed. Install it with: ${install}`);
  const problem = checked.get(key);
  if (problem) throw new Error(problem);
}
