/**
 * Ctrl-C under a package manager arrives twice: the terminal signals the whole process group (the package manager
 * and the server), and pnpm forwards its own SIGINT to the server. A server that drains at once and exits may be
 * tearing down, its signal handlers already gone, when the forwarded one lands (pnpm is slow to forward it on a busy
 * machine): it then dies of that signal, and pnpm reports `ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL`. So under pnpm a
 * server stopped by SIGINT waits, bounded, for the forwarded one before it exits.
 */

/** Longest wait for the forwarded SIGINT: past it, the package manager is taken not to forward one. */
const FORWARD_WAIT_MS = 2000;

/** Counts the SIGINTs this process receives (install it before the server can be stopped). */
export function countInterrupts(): { readonly count: number } {
  const counter = { count: 0 };
  process.on("SIGINT", () => {
    counter.count++;
  });
  return counter;
}

/**
 * Whether this process is what a package manager's script runs (`pnpm start` running `node dist/cli.js`, or an npm
 * script running `multistore`): the script names this program. A server that a test or a tool started inside some
 * other script (`pnpm test`) inherits the variables but is not named by the script, and gets no forwarded signal.
 */
export function underPackageManager(env: NodeJS.ProcessEnv = process.env, program = process.argv[1] ?? ""): boolean {
  const script = env.npm_lifecycle_script;
  if (script === undefined || program === "") return false;
  const name = program.split(/[\\/]/).pop()!;
  return script.includes(name) || /(^|[\s/])multistore(\s|$)/.test(script);
}

/**
 * After a stop by SIGINT under a package manager: resolves once a second SIGINT (the forwarded one) has arrived, or
 * after `FORWARD_WAIT_MS`. At once otherwise.
 */
export function forwardedInterruptSettled(
  interrupts: { readonly count: number },
  options: { env?: NodeJS.ProcessEnv; program?: string; waitMs?: number } = {},
): Promise<void> {
  if (interrupts.count !== 1 || !underPackageManager(options.env, options.program)) return Promise.resolve();
  const waitMs = options.waitMs ?? FORWARD_WAIT_MS;
  return new Promise((resolve) => {
    const timer = setTimeout(done, waitMs);
    process.once("SIGINT", done);
    function done() {
      clearTimeout(timer);
      process.off("SIGINT", done);
      resolve();
    }
  });
}
