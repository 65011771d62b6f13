/**
 * The per-process resolver hooks of the client matrix: a name under the matrix domain is 127.0.0.1 for a Node agent,
 * for Python (through the sitecustomize on PYTHONPATH) and for curl, whatever /etc/hosts says; other names are left
 * to the resolver. The domain used here is in no hosts file, so a pass cannot come from the machine.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent as HttpAgent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curlResolveArguments, isLoopbackName, loopbackLookup, pythonLoopbackEnv } from "../src/clients/loopback.js";
import { cleanEnv, runTool, whichTool } from "../src/clients/tools.js";

const DOMAIN = "loopback-test.invalid";

let server: Server;
let port = 0;
let work = "";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "multistore-loopback-"));
  server = createServer((request, response) => response.end(`host=${request.headers.host}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

describe("isLoopbackName", () => {
  it("takes the domain and names under it, in any case, and nothing else", () => {
    expect([DOMAIN, `bucket.${DOMAIN}`, `Bucket.${DOMAIN.toUpperCase()}.`].map((name) => isLoopbackName(name, DOMAIN))).toEqual([true, true, true]);
    expect([`x${DOMAIN}`, `${DOMAIN}.example.com`, "localhost"].map((name) => isLoopbackName(name, DOMAIN))).toEqual([false, false, false]);
  });
});

describe("loopbackLookup", () => {
  it("connects a Node agent to 127.0.0.1 for a name under the domain, with its Host header", async () => {
    const agent = new HttpAgent({ lookup: loopbackLookup(DOMAIN) });
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: `matrix-native.${DOMAIN}`, port, path: "/", agent }, (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve(text));
      }).on("error", reject);
    });
    agent.destroy();
    expect(body).toBe(`host=matrix-native.${DOMAIN}:${port}`);
  });

  it("answers both shapes Node asks for, and leaves other names to the resolver", async () => {
    const lookup = loopbackLookup(DOMAIN);
    const ask = (name: string, all: boolean) =>
      new Promise<unknown>((resolve, reject) => lookup(name, { all, family: 4 }, (error, address, family) => (error ? reject(error) : resolve(all ? address : [address, family]))));
    expect(await ask(`a.${DOMAIN}`, false)).toEqual(["127.0.0.1", 4]);
    expect(await ask(`a.${DOMAIN}`, true)).toEqual([{ address: "127.0.0.1", family: 4 }]);
    await expect(ask(`a.not-${DOMAIN}`, false)).rejects.toThrow(/ENOTFOUND|EAI_AGAIN/);
  });
});

describe("pythonLoopbackEnv", () => {
  const python = whichTool("python3");
  const run = (env: Record<string, string>, script: string) => spawnSync(python ?? "python3", ["-c", script], { env: cleanEnv(env), encoding: "utf8" });

  it("makes Python resolve names under the domain to 127.0.0.1, and only those", () => {
    expect(python, "python3 is needed (the matrix's Python clients run on it)").toBeDefined();
    const env = pythonLoopbackEnv(DOMAIN, work);
    const script = [
      "import socket",
      `print(socket.getaddrinfo("matrix-s3.${DOMAIN}", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])`,
      `print(socket.create_connection(("b.${DOMAIN}", ${port})).getpeername()[0])`,
      "try:",
      `    socket.getaddrinfo("a.not-${DOMAIN}", 80)`,
      '    print("resolved")',
      "except socket.gaierror:",
      '    print("not resolved")',
    ].join("\n");
    const result = run(env, script);
    expect([result.status, result.stdout, result.stderr]).toEqual([0, "127.0.0.1\n127.0.0.1\nnot resolved\n", ""]);
    // Without the environment, the name is unknown: the pass above came from the hook.
    expect(run({}, `import socket\nsocket.getaddrinfo("matrix-s3.${DOMAIN}", 80)`).status).not.toBe(0);
  });

  it("still runs the sitecustomize it shadows", () => {
    const shadowed = join(work, "shadowed");
    mkdirSync(shadowed, { recursive: true });
    writeFileSync(join(shadowed, "sitecustomize.py"), 'import os\nos.environ["SHADOWED_SITECUSTOMIZE_RAN"] = "yes"\n');
    const env = pythonLoopbackEnv(DOMAIN, work);
    const result = run({ ...env, PYTHONPATH: `${env.PYTHONPATH}:${shadowed}` }, 'import os\nprint(os.environ.get("SHADOWED_SITECUSTOMIZE_RAN"))');
    expect([result.status, result.stdout.trim()]).toEqual([0, "yes"]);
  });
});

describe("curlResolveArguments", () => {
  it("pins a URL's name and port under the domain to 127.0.0.1, and leaves other URLs alone", () => {
    expect(curlResolveArguments(`https://b.${DOMAIN}:8443/key?x=1`, DOMAIN)).toEqual(["--resolve", `b.${DOMAIN}:8443:127.0.0.1`]);
    expect(curlResolveArguments(`http://b.${DOMAIN}/key`, DOMAIN)).toEqual(["--resolve", `b.${DOMAIN}:80:127.0.0.1`]);
    expect(curlResolveArguments("http://127.0.0.1:9000/bucket/key", DOMAIN)).toEqual([]);
  });

  it("lets curl reach a name under the domain", async () => {
    expect(whichTool("curl"), "curl is needed (the matrix fetches presigned URLs with it)").toBeDefined();
    const url = `http://bucket.${DOMAIN}:${port}/`;
    // Asynchronous: the server answering it runs in this process.
    const result = await runTool("curl", ["-sS", ...curlResolveArguments(url, DOMAIN), url]);
    expect([result.code, result.stdout]).toEqual([0, `host=bucket.${DOMAIN}:${port}`]);
  });
});
