/**
 * The original multistore's five published configs start the server unchanged, and mean what they meant there:
 * each request below resolves to the backend URL the original addressed.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createStaticRegistries, parseConfig } from "@multistore/config";
import { createGateway } from "@multistore/core";
import { HeaderMap } from "@multistore/core/runtime";
import { createFederatedCredentials, createOidcProvider } from "@multistore/oidc-provider";
import { errorCode, signedRawRequest, startCli, UPSTREAM_CONFIGS_DIR, upstreamConfigs } from "@multistore/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { nodeBackends } from "../src/index.js";

const cli = join(import.meta.dirname, "../dist/cli.js");
const PROVIDER_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
// Roles need STS (a sealing key); federated buckets need the proxy's OIDC provider.
const ENV = { SESSION_TOKEN_KEY: randomBytes(32).toString("base64"), OIDC_PROVIDER_KEY: PROVIDER_KEY, OIDC_PROVIDER_ISSUER: "https://proxy.example.com" };
const children: ChildProcess[] = [];
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "multistore-upstream-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** Starts the CLI on `config`; resolves with its endpoint and output once it listens, rejects if it exits. */
function start(config: string, flags: string[] = []) {
  return startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--config", config, ...flags], { env: { ...process.env, ...ENV }, children });
}

describe("the original's published configs on the server", () => {
  const cases = upstreamConfigs().flatMap((config): [file: string, form: string, text: string, extension: string][] =>
    config.toml === undefined
      ? // A Workers config: the wrangler file itself (the server reads its [vars.PROXY_CONFIG]), and that table as JSON.
        [
          [config.file, "the file", readFileSync(join(UPSTREAM_CONFIGS_DIR, config.file), "utf8"), "toml"],
          [config.file, "JSON", JSON.stringify(config.table), "json"],
        ]
      : [[config.file, "TOML", config.toml, "toml"]],
  );
  it.each(cases)("starts on %s (%s) unchanged and answers", async (file, _form, text, extension) => {
    const path = join(directory, `${file}.${randomBytes(4).toString("hex")}.${extension}`);
    await writeFile(path, text);
    const server = await start(path);
    const listing = await fetch(`${server.endpoint}/`);
    expect(listing.status).toBe(200);
    expect(await listing.text()).toContain("<ListAllMyBucketsResult");
    expect(server.output()).not.toContain('"level":50');
  });
});

describe("what the original's configs mean", () => {
  /** The backend URL a GET resolves to through the server's own backends, for `table` with `change` applied. */
  async function backendUrlOf(file: string, path: string, change: (table: Record<string, any>) => void = () => undefined): Promise<string> {
    const table = structuredClone(upstreamConfigs().find((config) => config.file === file)!.table) as Record<string, any>;
    change(table);
    const config = parseConfig(table, { onWarning: () => undefined });
    const registries = createStaticRegistries(config);
    const provider = createOidcProvider({ keys: [{ pem: PROVIDER_KEY }], issuer: ENV.OIDC_PROVIDER_ISSUER });
    const gateway = createGateway<Readable>({ ...registries, backends: nodeBackends({ federation: createFederatedCredentials({ provider }) }) });
    const result = await gateway.handle({ method: "GET", target: path, headers: new HeaderMap({ host: "127.0.0.1" }), body: null, readBody: async () => new Uint8Array() });
    if (result.type !== "forward") throw new Error(`expected a forward, got ${result.type} ${result.type === "response" ? result.response.status : ""}`);
    return result.request.url;
  }
  const anonymous = (name: string) => (table: Record<string, any>) => {
    for (const bucket of table.buckets) if (bucket.name === name) bucket.anonymous_access = true;
  };

  it("a public bucket without credentials is read unsigned, its backend_prefix joined with one '/'", async () => {
    // Dots in the backend bucket's name keep it path-style on AWS (TLS wildcard certificates).
    expect(await backendUrlOf("examples_server_config.toml", "/harvard-lil/data/a.tif")).toBe(
      "https://s3.us-west-2.amazonaws.com/us-west-2.opendata.source.coop/harvard-lil/data/a.tif",
    );
  });

  it('backend_prefix = "v2" addresses v2/<key>; a custom endpoint is path-style, AWS endpoints virtual-hosted', async () => {
    const prefixed = new URL(await backendUrlOf("docs_reference_config-example.md", "/ml-artifacts/models/latest.pt", anonymous("ml-artifacts")));
    expect(`${prefixed.origin}${prefixed.pathname}`).toBe("https://minio.internal:9000/ml-pipeline-artifacts/v2/models/latest.pt");
    expect(prefixed.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    const aws = new URL(await backendUrlOf("docs_reference_config-example.md", "/public-data/a.txt"));
    expect(`${aws.origin}${aws.pathname}`).toBe("https://my-company-public-assets.s3.us-east-1.amazonaws.com/a.txt");
  });

  it("an s3 bucket without a region signs for us-east-1; a local endpoint is path-style", async () => {
    const url = new URL(await backendUrlOf("examples_cf-workers_wrangler.toml", "/private-uploads/k", anonymous("private-uploads")));
    expect(`${url.origin}${url.pathname}`).toBe("http://localhost:9000/private-uploads/k");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^minioadmin\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    const regional = new URL(await backendUrlOf("examples_cf-workers_wrangler.toml", "/public-data/k"));
    expect(regional.searchParams.get("X-Amz-Credential")).toMatch(/\/us-west-2\/s3\/aws4_request$/);
  });
});

describe("backends are built when the config loads", () => {
  const bucket = (backend_type: string, backend_options: Record<string, string>) => ({ buckets: [{ name: "data", backend_type, anonymous_access: false, backend_options }] });
  const exitOf = async (config: object) => {
    const path = join(directory, `broken-${randomBytes(4).toString("hex")}.json`);
    await writeFile(path, JSON.stringify(config));
    return spawnSync(process.execPath, [cli, "--listen", "127.0.0.1:0", "--workers", "1", "--config", path], { encoding: "utf8", env: { ...process.env, ...ENV }, timeout: 30_000 });
  };

  it("stops at startup with exit code 2 on a bad backend option, naming the field and never the secret", async () => {
    const result = await exitOf(bucket("s3", { bucket_name: "b", access_key_id: "AK", secret_access_key: "do-not-print-me", presign_ttl_secs: "0" }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("buckets[0].backend_options.presign_ttl_secs: presign_ttl_secs must be 1..604800");
    expect(result.stderr + result.stdout).not.toContain("do-not-print-me");
  });

  it("stops at startup on a backend type the server cannot serve (r2), saying what can", async () => {
    const result = await exitOf(bucket("r2", { binding: "FILES" }));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/buckets\[0\]\.backend_type: "r2" cannot be served here: .*Worker/);
  });
});

describe("config warnings", () => {
  it("are logged once at startup, and a legacy bucket name is served path-style", async () => {
    const root = join(directory, "legacy");
    const path = join(directory, "legacy.json");
    await writeFile(path, JSON.stringify({ buckets: [{ name: "My_Data", backend_type: "fs", anonymous_access: true, allowed_roles: ["nobody"], backend_options: { root } }] }));
    const server = await start(path);
    const listing = await fetch(`${server.endpoint}/My_Data?list-type=2`);
    expect([listing.status, (await listing.text()).includes("<Name>My_Data</Name>")]).toEqual([200, true]);
    const warnings = server.output().split("\n").filter((line) => line.includes('"level":40') && line.includes("config: "));
    expect(warnings.map((line) => JSON.parse(line).msg.replace(`${path}: `, ""))).toEqual([
      'config: buckets[0].allowed_roles[0]: "nobody" is not a configured role_id (no roles are configured); it grants nothing',
      'config: buckets[0].name: "My_Data" cannot be used in a host name (virtual-hosted style needs 3-63 lowercase letters, digits, "." and "-"): clients must address it path-style',
    ]);
  });
});

describe("--max-upload-bytes", () => {
  it("refuses a larger upload with 400 EntityTooLarge, as the Worker's MAX_UPLOAD_BYTES does", async () => {
    const key = { accessKeyId: "AKIAMAXUPLOAD000001", secretAccessKey: "max-upload-secret-000000000000000000001" };
    const path = join(directory, "max-upload.json");
    await writeFile(
      path,
      JSON.stringify({
        buckets: [{ name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root: join(directory, "files") } }],
        credentials: [{ access_key_id: key.accessKeyId, secret_access_key: key.secretAccessKey, principal_name: "t", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["put_object"] }] }],
      }),
    );
    const server = await start(path, ["--max-upload-bytes", "10"]);
    const put = (body: string) => signedRawRequest(server.endpoint, key, { method: "PUT", path: "/files/f.txt", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body });
    expect((await put("0123456789")).status).toBe(200);
    const refused = await put("0123456789A");
    expect([refused.status, errorCode(refused.text)]).toEqual([400, "EntityTooLarge"]);
  });
});
