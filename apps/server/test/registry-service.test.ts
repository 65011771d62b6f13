/**
 * Buckets and credentials kept in a catalogue service (`--registry-url`) instead of the config file: the CLI asks a
 * local HTTP service for the names its file lacks, caches the answers, and answers 503 when the service fails for a
 * name it never saw.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, rawRequest, startCli } from "@multistore/testing";

const appDir = join(import.meta.dirname, "..");
const cli = join(appDir, "dist/cli.js");
const KEY = { accessKeyId: "AKIACATALOGUE000001", secretAccessKey: "catalogue-secret-0000000000000000000001" };

describe("multistore CLI with a catalogue service (--registry-url)", () => {
  const children: ChildProcess[] = [];
  let root: string;
  let catalogue: Server;
  let catalogueUrl: string;
  let down = false;
  const lookups: string[] = [];
  let endpoint: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-registry-"));
    const documents: Record<string, unknown> = {
      "buckets/shared": { name: "shared", backend_type: "fs", anonymous_access: true, backend_options: { root } },
      "buckets/private": { name: "private", backend_type: "fs", anonymous_access: false, backend_options: { root } },
      [`credentials/${KEY.accessKeyId}`]: {
        access_key_id: KEY.accessKeyId,
        secret_access_key: KEY.secretAccessKey,
        principal_name: "catalogued",
        created_at: "2024-01-01T00:00:00Z",
        enabled: true,
        allowed_scopes: [{ bucket: "private", prefixes: [], actions: ["get_object", "put_object", "list_bucket"] }],
      },
    };
    catalogue = createServer((request, response) => {
      const path = request.url!.replace(/^\/v1\//, "");
      lookups.push(`${path} ${request.headers.authorization ?? ""}`);
      if (down) return void response.writeHead(500).end();
      if (path === "buckets") return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([documents["buckets/shared"], documents["buckets/private"]]));
      const document = documents[path];
      if (document === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => catalogue.listen(0, "127.0.0.1", resolve));
    catalogueUrl = `http://127.0.0.1:${(catalogue.address() as { port: number }).port}/v1`;
    const config = join(root, "config.toml");
    await writeFile(config, `[[buckets]]\nname = "local"\nbackend_type = "fs"\nanonymous_access = true\n[buckets.backend_options]\nroot = "${root}"\n`);
    const server = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--config", config, "--registry-url", catalogueUrl, "--registry-ttl", "60"], {
      env: { ...process.env, MULTISTORE_REGISTRY_TOKEN: "catalogue-token" },
      children,
    });
    endpoint = server.endpoint;
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    catalogue?.closeAllConnections();
    await new Promise((resolve) => catalogue?.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it("serves buckets and credentials from the service, cached, with its bearer token", async () => {
    const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: KEY, maxAttempts: 1 });
    await client.send(new PutObjectCommand({ Bucket: "private", Key: "hello.txt", Body: "from the catalogue" }));
    expect(await (await client.send(new GetObjectCommand({ Bucket: "private", Key: "hello.txt" }))).Body!.transformToString()).toBe("from the catalogue");
    const anonymous = await rawRequest(endpoint, { method: "GET", path: "/shared/hello.txt" });
    expect([anonymous.status, anonymous.text]).toEqual([200, "from the catalogue"]);
    const names = (await client.send(new ListBucketsCommand({}))).Buckets!.map((bucket) => bucket.Name);
    // Public buckets are listed for everyone, then what the key may use: the file's, then the service's.
    expect(names).toEqual(["local", "shared", "private"]);
    // The file's own bucket never reaches the service; each catalogued name is asked for once.
    expect((await rawRequest(endpoint, { method: "GET", path: "/local/hello.txt" })).status).toBe(200);
    expect(lookups.filter((lookup) => lookup.startsWith("buckets/private"))).toHaveLength(1);
    expect(lookups.filter((lookup) => lookup.startsWith(`credentials/${KEY.accessKeyId}`))).toHaveLength(1);
    expect(lookups.some((lookup) => lookup.startsWith("buckets/local"))).toBe(false);
    expect(lookups.every((lookup) => lookup.endsWith("Bearer catalogue-token"))).toBe(true);
  });

  it("answers NoSuchBucket for a name the service does not know, and 503 when the service fails for a new name", async () => {
    const missing = await rawRequest(endpoint, { method: "GET", path: "/nowhere/key" });
    expect([missing.status, errorCode(missing.text)]).toEqual([404, "NoSuchBucket"]);
    down = true;
    try {
      const failing = await rawRequest(endpoint, { method: "GET", path: "/never-seen/key" });
      expect([failing.status, errorCode(failing.text)]).toEqual([503, "ServiceUnavailable"]);
      expect(failing.text).not.toContain("catalogue-token");
      // A cached name still answers while the service is down.
      expect((await rawRequest(endpoint, { method: "GET", path: "/shared/hello.txt" })).status).toBe(200);
    } finally {
      down = false;
    }
  });

  it("refuses registry flags without a URL, or with a URL that is not http(s), holds a password or a query, with exit code 2", () => {
    for (const args of [["--registry-ttl", "5"], ["--registry-url", "ftp://catalogue"], ["--registry-url", "http://user:hunter2@127.0.0.1:9/reg"], ["--registry-url", "http://127.0.0.1:9/api/v1?key=hunter2"], ["--registry-url", "http://127.0.0.1:9/api/v1#x"]]) {
      const result = spawnSync(process.execPath, [cli, ...args], { cwd: appDir, encoding: "utf8", timeout: 30_000 });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/--registry-(ttl|url)/);
      // A password is never echoed.
      expect(result.stderr).not.toContain("hunter2");
    }
  });
});
