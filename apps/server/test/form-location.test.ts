/**
 * Where a form upload says its object is (`Location`, and PostResponse's): the Host the client addressed, with the
 * scheme of the socket, or X-Forwarded-Proto when a trusted proxy (one whose X-Forwarded-For named the client) sent it.
 */
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@multistore/config";
import { encodedForm, formData, presignedForm } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const KEY = { accessKeyId: "AKIAFORMLOCATION001", secretAccessKey: "form-location-secret-000000000000000001" };

describe("a form upload's Location behind a proxy", () => {
  let server: MultistoreServer;
  let root: string;
  let port: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-form-location-"));
    const config = parseConfig({
      buckets: [{ name: "drop", backend_type: "fs", anonymous_access: false, backend_options: { root } }],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "dropper", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "drop", prefixes: [], actions: ["put_object"] }] }],
    });
    server = createMultistoreServer({ config, logger: createLogger("silent"), trustedProxies: "127.0.0.0/8" });
    ({ port } = await server.listen(0, "127.0.0.1"));
  });

  afterAll(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Posts a signed form for `key` with `headers` (Host among them); the answer's Location. */
  async function locationOf(key: string, headers: Record<string, string>): Promise<string | undefined> {
    const form = await presignedForm(`http://${headers.host}`, KEY, { bucket: "drop", key, fields: { success_action_status: "201" } });
    const { body, contentType } = await encodedForm(formData(form, { bytes: new TextEncoder().encode(key) }));
    return new Promise((resolve, reject) => {
      const sent = request({ host: "127.0.0.1", port, method: "POST", path: "/drop", headers: { ...headers, "content-type": contentType, "content-length": String(body.length) } }, (response) => {
        response.resume();
        response.on("end", () => (response.statusCode === 201 ? resolve(response.headers.location) : reject(new Error(`answered ${response.statusCode}`))));
      });
      sent.on("error", reject);
      sent.end(body);
    });
  }

  it("takes the scheme a trusted proxy forwarded, and the socket's otherwise", async () => {
    const proxied = { host: "s3.example.com", "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" };
    expect(await locationOf("via-proxy.txt", proxied)).toBe("https://s3.example.com/drop/via-proxy.txt");
    // A client on the proxy's own machine: the forwarded client is the proxy's address, and still believed.
    expect(await locationOf("same-host.txt", { ...proxied, "x-forwarded-for": "127.0.0.1" })).toBe("https://s3.example.com/drop/same-host.txt");
    // Without a forwarded client the header came from the client itself: the socket's scheme stands.
    expect(await locationOf("direct.txt", { host: "s3.example.com", "x-forwarded-proto": "https" })).toBe("http://s3.example.com/drop/direct.txt");
  });
});
