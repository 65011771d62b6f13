/** The Node server's CLI as a child process, for tests that need the real program (flags, config files, exits). */
import { spawn, type ChildProcess } from "node:child_process";

/** A started CLI. */
export interface CliProcess {
  child: ChildProcess;
  /** `http(s)://host:port` it logged as its address. */
  endpoint: string;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
}

/** Starts `node <cli> ...args` and resolves once it logs its address; rejects, with its output, if it exits first. */
export function startCli(
  cli: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; /** Gets the child at once, for the test's cleanup. */ children?: ChildProcess[] } = {},
): Promise<CliProcess> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  options.children?.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"address":"(https?:\/\/[^"]+)"/.exec(output);
      if (match) resolve({ child, endpoint: match[1]!, output: () => output });
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}
