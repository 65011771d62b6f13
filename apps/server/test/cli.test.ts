/** The `multistore` CLI as a process: flags, config errors, the default config, logs, graceful shutdown, TLS. */
import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer as createNetServer } from "node:net";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BUILT_IN_BACKEND_TYPES } from "@multistore/config";
import { signedRawRequest, startCli } from "@multistore/testing";

const appDir = join(import.meta.dirname, "..");
const cli = join(appDir, "dist/cli.js");
const DEV_KEY = { accessKeyId: "MULTISTOREDEVKEY0001", secretAccessKey: "multistore-dev-secret-change-me-0000000000" };
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: appDir, encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
}

/** Starts the CLI and resolves once it logs its address. */
function start(args: string[], cwd = appDir) {
  return startCli(cli, ["--listen", "127.0.0.1:0", ...args], { cwd, children });
}

function exited(child: ChildProcess): Promise<number | null> {
  // "close", not "exit": what it wrote last may still be in its pipes when it exits.
  return new Promise((resolve) => child.once("close", (code) => resolve(code)));
}

describe("multistore CLI", () => {
  it("prints help and version", () => {
    const help = run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--tls-cert");
    expect(help.stdout).toContain("MULTISTORE_LISTEN");
    // Every backend_type the config accepts (a new one must be added to the help), and where r2 is served.
    for (const type of BUILT_IN_BACKEND_TYPES) expect(help.stdout).toMatch(new RegExp(`\\b${type} \\(`));
    expect(help.stdout).toMatch(/r2 \([^)]*\) is served by the Worker\s+only/);
    expect(help.stdout).toContain("--allow-development-key");
    const version = run(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^multistore \d+\.\d+\.\d+/);
  });

  it("refuses unknown flags and bad values with exit code 2", () => {
    const unknown = run(["--frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("--frobnicate");
    const listen = run(["--listen", "nowhere"]);
    expect(listen.status).toBe(2);
    expect(listen.stderr).toContain("--listen must be host:port");
    const envLevel = run([], { MULTISTORE_LOG_LEVEL: "chatty" });
    expect(envLevel.status).toBe(2);
    expect(envLevel.stderr).toContain("--log-level must be one of");
    for (const domain of ["", "*..//", "s3..example.com"]) {
      const refused = run(["--domain", domain]);
      expect([refused.status, refused.stderr.includes("--domain must be a host name")], JSON.stringify(domain)).toEqual([2, true]);
    }
    const timing = run([], { MULTISTORE_SERVER_TIMING: "junk" });
    expect([timing.status, timing.stderr.includes('MULTISTORE_SERVER_TIMING must be true or false, got "junk"')]).toEqual([2, true]);
  });

  it("names the field of a broken config and never prints its secrets", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multistore-cli-"));
    const config = join(dir, "broken.toml");
    await writeFile(
      config,
      `[[buckets]]\nname = "b1"\nbackend_type = "s3"\nanonymous_access = false\n[buckets.backend_options]\nregion = "us-east-1"\naccess_key_id = "AKIAX"\nsecret_access_key = "TOPSECRETVALUE123"\n`,
    );
    const result = run(["--config", config]);
    await rm(dir, { recursive: true, force: true });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('buckets[0].backend_options.bucket_name is required for backend_type "s3"');
    expect(result.stderr + result.stdout).not.toContain("TOPSECRETVALUE123");
  });

  it("serves the built-in default config, logs requests without secrets, and drains on SIGTERM", async () => {
    const { child, endpoint, output } = await start([]);
    const hello = await fetch(`${endpoint}/public/hello.txt`);
    expect(hello.status).toBe(200);
    expect(await hello.text()).toContain("Hello from Multistore");
    const signed = await signedRawRequest(endpoint, DEV_KEY, { method: "GET", path: "/private", query: { "list-type": "2" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect(signed.status).toBe(200);
    // A request still streaming its body when SIGTERM arrives is finished before the process exits.
    const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: DEV_KEY });
    const url = new URL(await getSignedUrl(client, new PutObjectCommand({ Bucket: "private", Key: "cli-drain.txt" }), { expiresIn: 60 }));
    const slow = new Promise<number>((resolve, reject) => {
      const request = httpRequest(url, { method: "PUT", headers: { "content-length": "7" } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      request.write("drai");
      setTimeout(() => {
        child.kill("SIGTERM");
        setTimeout(() => request.end("ned"), 300);
      }, 300);
    });
    const done = exited(child);
    expect(await slow).toBe(200);
    expect(await done).toBe(0);
    await rm(join(appDir, "data/private/cli-drain.txt"), { force: true });
    const lines = output().trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ operation: "GetObject", bucket: "public", status: 200, principal: "anonymous", bytes: expect.any(Number) }));
    expect(lines).toContainEqual(expect.objectContaining({ operation: "ListObjectsV2", principal: "developer", status: 200 }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: "shutting down: draining in-flight requests" }));
    expect(output()).not.toContain(DEV_KEY.secretAccessKey);
    const cleanup = await fetch(`${endpoint}/private/cli-drain.txt`).catch(() => undefined);
    expect(cleanup).toBeUndefined();
  });

  it("stops at start, never hanging: 1 when the address is in use, 2 for metering or TLS it cannot use, one worker or many", async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), "multistore-start-"));
    try {
      for (const workers of ["1", "2"]) {
        const inUse = run(["--listen", `127.0.0.1:${port}`, "--workers", workers]);
        expect([inUse.status, inUse.stderr.includes("EADDRINUSE")], `--workers ${workers}: ${inUse.stderr}`).toEqual([1, true]);
      }
      const rules = join(dir, "rules.toml");
      const rule = `[[rate_limits]]\nid = "same"\nscope = "source_ip"\nrequests = 5\nwindow_secs = 60\n`;
      await writeFile(rules, `[[buckets]]\nname = "open"\nbackend_type = "fs"\nanonymous_access = true\n[buckets.backend_options]\nroot = "${join(dir, "data")}"\n\n${rule}\n${rule}`);
      const shared = run(["--config", rules, "--listen", "127.0.0.1:0", "--workers", "2"]);
      expect([shared.status, shared.stderr.match(/invalid configuration/g)?.length, shared.stderr.includes('share the id "same"')], shared.stderr).toEqual([2, 1, true]);
      await writeFile(join(dir, "not-a-cert.pem"), "not a certificate\n");
      const tls = run(["--listen", "127.0.0.1:0", "--workers", "2", "--tls-cert", join(dir, "not-a-cert.pem"), "--tls-key", join(dir, "not-a-cert.pem")]);
      expect([tls.status, tls.stderr.includes("--tls-cert")], tls.stderr).toEqual([2, true]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("serves HTTPS with --tls-cert and --tls-key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "multistore-tls-"));
    const generated = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1"], { encoding: "utf8" });
    expect(generated.status, `openssl is needed for this test (apt-get install openssl): ${generated.stderr}`).toBe(0);
    const { endpoint } = await start(["--tls-cert", join(dir, "cert.pem"), "--tls-key", join(dir, "key.pem")]);
    expect(endpoint).toMatch(/^https:/);
    const status = await new Promise<number>((resolve, reject) => {
      httpsRequest(`${endpoint}/healthz`, { rejectUnauthorized: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });
    expect(status).toBe(200);
    await rm(dir, { recursive: true, force: true });
  });
});
