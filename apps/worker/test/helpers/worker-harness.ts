/**
 * Runs the Worker the way it ships: bundled by wrangler (`deploy --dry-run --outdir`, the exact bundle a deploy
 * uploads), then executed through miniflare 4 on 127.0.0.1 by the workerd release wrangler itself runs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";

const appDir = join(import.meta.dirname, "../..");
const bundled = new Map<string, string>();

/**
 * Bundles the Worker with wrangler once per process; returns the output directory. The bundle is the deployed one
 * (minified, per wrangler.toml) unless `minify: false` asks for a readable one (module paths in comments).
 */
export function bundleWorker(options: { minify?: boolean; /** Another entry module than wrangler.toml's `main` (relative to the app). */ entry?: string } = {}): string {
  const variant = `${options.minify === false ? "readable" : "deployed"} ${options.entry ?? ""}`;
  const cached = bundled.get(variant);
  if (cached) return cached;
  const outdir = mkdtempSync(join(tmpdir(), "multistore-worker-bundle-"));
  // wrangler's exports do not include its bin; its package directory does.
const wrangler = join(realpathSync(join(appDir, "node_modules/wrangler")), "bin/wrangler.js");
  execFileSync(process.execPath, [wrangler, "deploy", ...(options.entry ? [options.entry] : []), "--dry-run", "--outdir", outdir, ...(options.minify === false ? ["--no-minify"] : [])], {
    cwd: appDir,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_LOG: "error", CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  bundled.set(variant, outdir);
  return outdir;
}

/**
 * The workerd binary wrangler runs (through its own miniflare; the `workerd` package's default export is its path).
 * miniflare 4 brings an older workerd, which among other things ends a chunked response cleanly when its body fails
 * (a truncation that looks complete to the client); the Worker is tested on the runtime `wrangler dev` uses.
 */
export async function workerdBinary(): Promise<string> {
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
  const fromMiniflare = createRequire(fromWrangler.resolve("miniflare"));
  const module = (await import(fromMiniflare.resolve("workerd"))) as { default: string | { default: string } };
  return typeof module.default === "string" ? module.default : module.default.default;
}

/** The bundle's main module file. */
export function bundleEntry(outdir: string): string {
  const entry = readdirSync(outdir).find((name) => name.endsWith(".js"));
  if (!entry) throw new Error(`wrangler produced no .js file in ${outdir}`);
  return join(outdir, entry);
}

/** A running Worker. */
export interface WorkerHandle {
  /** `http://127.0.0.1:port` (`https://` when started with `tls`). */
  endpoint: string;
  /** The miniflare instance (for R2 access from tests). */
  miniflare: Miniflare;
  /** Stops workerd. */
  close(): Promise<void>;
}

/** Starts the bundled Worker with bindings: `PROXY_CONFIG` (object or JSON string), other vars, R2 buckets. */
export async function startWorker(options: {
  bindings: Record<string, unknown>;
  r2Buckets?: string[];
  /** Receives the Worker's stdout and stderr (its logs). */
  onLog?: (line: string) => void;
  /** Serve HTTPS with this certificate and key (PEM contents), as `wrangler dev --local-protocol https` does. */
  tls?: { cert: string; key: string };
  /**
   * PEM certificates workerd trusts for its outbound https requests (e.g. a test CA of an https Azurite). Outbound
   * traffic is then limited to loopback addresses.
   */
  trustedCertificates?: string[];
  /** Another entry module than wrangler.toml's `main` (relative to the app), e.g. an example. */
  entry?: string;
  /** Durable Object bindings: binding name → class exported by the entry (e.g. `{ METERING: "MeteringCounters" }`). */
  durableObjects?: Record<string, string | { className: string; useSQLite?: boolean }>;
  /** Cloudflare rate limiting bindings (`[[ratelimits]]`), by binding name. */
  ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period?: 10 | 60 } }>;
}): Promise<WorkerHandle> {
  const outdir = bundleWorker(options.entry ? { entry: options.entry } : {});
  // miniflare reads the binary to run from this variable.
  process.env.MINIFLARE_WORKERD_PATH ??= await workerdBinary();
  const miniflare = new Miniflare({
    modules: true,
    scriptPath: bundleEntry(outdir),
    // Module names are relative to this root; the default (the working directory) would give them "../" paths.
    modulesRoot: outdir,
    compatibilityDate: "2025-09-01",
    compatibilityFlags: ["enable_request_signal"],
    bindings: options.bindings as Record<string, never>,
    r2Buckets: options.r2Buckets ?? [],
    ...(options.durableObjects && { durableObjects: options.durableObjects }),
    ...(options.ratelimits && { ratelimits: options.ratelimits }),
    host: "127.0.0.1",
    port: 0,
    // Without this miniflare downloads request.cf data from the internet; tests stay on loopback.
    cf: false,
    ...(options.tls && { https: true, httpsCert: options.tls.cert, httpsKey: options.tls.key }),
    ...(options.trustedCertificates && {
      outboundService: { network: { allow: ["local"], tlsOptions: { trustedCertificates: options.trustedCertificates } } },
    }),
    ...(options.onLog && {
      handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
        for (const stream of [stdout, stderr]) stream.on("data", (chunk: Buffer) => chunk.toString().split("\n").filter(Boolean).forEach(options.onLog!));
      },
    }),
  });
  const url = await miniflare.ready;
  return {
    endpoint: url.origin,
    miniflare,
    close: () => miniflare.dispose(),
  };
}
