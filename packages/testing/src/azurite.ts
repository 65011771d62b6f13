/**
 * Test harness that runs Azurite's blob service (npm `azurite`) as a real Azure Blob Storage for integration tests.
 *
 * Azurite runs in a child process (`node <azurite>/dist/src/blob/main.js`, the `azurite-blob` bin) on 127.0.0.1
 * with an OS-chosen port (read back from its "listens on" line), in-memory persistence, telemetry off (otherwise it
 * calls the internet), loose mode and no API version check. It checks Shared Key and SAS signatures of the
 * well-known development account. `--location` is not passed: Azurite refuses it together with
 * `--inMemoryPersistence`; the child runs in a fresh temporary directory instead, removed on close.
 *
 * `azurite` is resolved from this package, then from `resolveFrom` (default: the current directory, e.g. the package
 * whose tests run, which lists `azurite` as a devDependency).
 *
 * With `tls` Azurite serves HTTPS with the given certificate (its PEMs are written into the temporary directory);
 * with `oauth` it also accepts `Authorization: Bearer` tokens (`--oauth basic`: it decodes the JWT and checks `iss`,
 * `aud`, `nbf`, `exp` and `iat` but not the signature) and serves Get User Delegation Key. Azurite allows bearer
 * tokens over HTTPS only, hence `oauth` requires `tls`.
 *
 * Notes for callers (observed with Azurite 3.37): a suffix range (`bytes=-N`) answers 500 with a broken
 * Content-Length; `bytes=<size>-` answers 206 `bytes <size>-<size-1>/<size>` instead of 416.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A running Azurite blob service and the development account it accepts. */
export interface AzuriteHandle {
  /**
   * Blob endpoint including the account, e.g. `http://127.0.0.1:41234/devstoreaccount1` (no trailing slash);
   * `https://` when started with `tls`.
   */
  endpoint: string;
  /** Azurite's development account. */
  accountName: "devstoreaccount1";
  /** Its well-known key (base64). */
  accountKey: string;
  /** Creates a container (Shared Key signed, over HTTPS trusting only `tls.ca` when started with `tls`); an existing one is fine. */
  createContainer(name: string): Promise<void>;
  /** Stops Azurite and removes its directory. Safe to call more than once. */
  close(): Promise<void>;
}

/** Options of {@link startAzurite}. */
export interface StartAzuriteOptions {
  /** Directory to resolve `azurite` from when this package cannot (default `process.cwd()`). */
  resolveFrom?: string;
  /** How long to wait for the service to listen, in milliseconds (default 20000). */
  startupTimeoutMs?: number;
  /**
   * Serve HTTPS with this server certificate and key (PEM contents, e.g. from `createTestCa`); `ca` is the PEM of the
   * CA that signed it, which `createContainer` trusts. The certificate must cover `127.0.0.1`.
   */
  tls?: AzuriteTlsOptions;
  /** Accept OAuth bearer tokens (`--oauth basic`) and serve Get User Delegation Key. Requires `tls`. */
  oauth?: boolean;
}

/** PEM contents for {@link StartAzuriteOptions.tls}. */
export interface AzuriteTlsOptions {
  /** PEM of the server certificate (its subjectAltName must include `IP:127.0.0.1`). */
  cert: string;
  /** PEM of the server certificate's private key (unencrypted). */
  key: string;
  /** PEM of the CA certificate that signed `cert`. */
  ca: string;
}

const ACCOUNT = "devstoreaccount1";
/** Azurite's (and the Azure Storage Emulator's) published development key. */
const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const VERSION = "2021-12-02";

function azuriteMain(resolveFrom: string): string {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve("azurite/package.json");
  } catch {
    packageJson = createRequire(join(resolveFrom, "package.json")).resolve("azurite/package.json");
  }
  return join(dirname(packageJson), "dist", "src", "blob", "main.js");
}

function waitForPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let output = "";
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /successfully listens on https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (match) {
        cleanup();
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`Azurite exited before listening (code ${code}): ${output}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Azurite did not listen within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const killTimer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** The part of fetch that createContainer uses, so that global fetch and undici's fetch both fit. */
type Fetch = (url: URL, init: { method: string; headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/**
 * A fetch that trusts exactly `ca` (certificate verification stays on). undici's own fetch, so that its Agent always
 * matches it; imported only for TLS so that plain-HTTP callers load nothing new.
 */
async function httpsSender(ca: string): Promise<{ send: Fetch; close(): Promise<void> }> {
  const undici = await import("undici");
  const agent = new undici.Agent({ connect: { ca } });
  return { send: (url, init) => undici.fetch(url, { ...init, dispatcher: agent }), close: () => agent.close() };
}

/** Create Container, signed with Shared Key (path-style: the account appears in the path and the resource). */
async function createContainer(endpoint: string, name: string, send: Fetch = fetch): Promise<void> {
  const url = new URL(`${endpoint}/${name}?restype=container`);
  const date = new Date().toUTCString();
  const stringToSign = ["PUT", "", "", "", "", "", "", "", "", "", "", "", `x-ms-date:${date}\nx-ms-version:${VERSION}`, `/${ACCOUNT}${url.pathname}\nrestype:container`].join("\n");
  const signature = createHmac("sha256", Buffer.from(ACCOUNT_KEY, "base64")).update(stringToSign, "utf8").digest("base64");
  const response = await send(url, {
    method: "PUT",
    headers: { "x-ms-date": date, "x-ms-version": VERSION, authorization: `SharedKey ${ACCOUNT}:${signature}` },
  });
  const body = await response.text();
  if (!response.ok && response.headers.get("x-ms-error-code") !== "ContainerAlreadyExists") {
    throw new Error(`Azurite refused to create container ${name}: ${response.status} ${body}`);
  }
}

/**
 * Starts Azurite's blob service on 127.0.0.1 with an OS-chosen port.
 *
 * @example
 * const azurite = await startAzurite();
 * try {
 *   await azurite.createContainer("data");
 *   // createAzureBackend({ endpoint: azurite.endpoint, account_name: azurite.accountName, access_key: azurite.accountKey, container_name: "data" })
 * } finally {
 *   await azurite.close();
 * }
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  // Azurite would refuse every bearer token over HTTP ("Bearer is not allowed with HTTP"): fail early and clearly.
  if (options.oauth && !options.tls) throw new Error("startAzurite: oauth requires tls (Azurite accepts bearer tokens over HTTPS only)");
  const main = azuriteMain(options.resolveFrom ?? process.cwd());
  const https = options.tls ? await httpsSender(options.tls.ca) : undefined;
  const directory = await mkdtemp(join(tmpdir(), "multistore-azurite-"));
  const args = ["--blobHost", "127.0.0.1", "--blobPort", "0", "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--inMemoryPersistence", "--extentMemoryLimit", "1024"];
  if (options.tls) {
    // Azurite reads certificates from files only.
    await writeFile(join(directory, "cert.pem"), options.tls.cert);
    await writeFile(join(directory, "key.pem"), options.tls.key, { mode: 0o600 });
    args.push("--cert", join(directory, "cert.pem"), "--key", join(directory, "key.pem"));
    if (options.oauth) args.push("--oauth", "basic");
    await writeFile(join(directory, "ca.pem"), options.tls.ca);
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Do not inherit the parent's NODE_OPTIONS (e.g. a test runner's loaders) into Azurite.
  delete env["NODE_OPTIONS"];
  // Copy Blob with a SAS source makes Azurite request the source URL, i.e. itself over HTTPS: it must trust the CA.
  if (options.tls) env["NODE_EXTRA_CA_CERTS"] = join(directory, "ca.pem");
  const child = spawn(process.execPath, [main, ...args], { cwd: directory, env, stdio: ["ignore", "pipe", "pipe"] });
  let port: number;
  try {
    port = await waitForPort(child, options.startupTimeoutMs ?? 20_000);
  } catch (error) {
    await stopChild(child);
    await https?.close();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  // Keep draining its output so a chatty Azurite never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `${options.tls ? "https" : "http"}://127.0.0.1:${port}/${ACCOUNT}`;
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    accountName: ACCOUNT,
    accountKey: ACCOUNT_KEY,
    createContainer: (name: string) => createContainer(endpoint, name, https?.send),
    close() {
      closing ??= Promise.all([stopChild(child), https?.close()]).then(() => rm(directory, { recursive: true, force: true }));
      return closing;
    },
  };
}
