/**
 * Expect: 100-continue is answered once the request may go on: an upload the gateway refuses hears its 403 without
 * being asked for its body (and its connection closes), one it lets through gets 100 Continue, then its answer.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@multistore/config";
import { signedHeaders } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const KEY = { accessKeyId: "AKIACONTINUE00000001", secretAccessKey: "continue-secret-000000000000000000000001" };
let server: MultistoreServer;
let endpoint: string;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "multistore-continue-"));
  const config = parseConfig({
    buckets: [{ name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root } }],
    roles: [],
    credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "writer", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "files", prefixes: ["ok/"], actions: ["put_object", "delete_object"] }] }],
  });
  server = createMultistoreServer({ config, logger: createLogger("silent") });
  endpoint = `http://127.0.0.1:${(await server.listen(0, "127.0.0.1")).port}`;
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

/**
 * Sends a request's head with Expect: 100-continue, and its body only once 100 Continue arrives; resolves what the
 * server sent before closing (or, after a final answer on a kept connection, that answer).
 */
async function upload(path: string, body: string, extra: Record<string, string> = {}): Promise<{ text: string; bodySent: boolean; closed: boolean }> {
  const headers = await signedHeaders(endpoint, KEY, { method: "PUT", path, headers: { "content-length": String(body.length), expect: "100-continue", ...extra }, body: Buffer.from(body) });
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(endpoint).port), "127.0.0.1", () => socket.write(`PUT ${path} HTTP/1.1\r\n${head}\r\n`));
    let text = "";
    let bodySent = false;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (!bodySent && text.startsWith("HTTP/1.1 100 Continue\r\n\r\n")) {
        bodySent = true;
        socket.write(body);
      }
      // A final answer (past any 100) that is complete: its body's length is known.
      const final = text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "");
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(final)?.[1];
      if (length !== undefined && final.includes("\r\n\r\n") && final.length >= final.indexOf("\r\n\r\n") + 4 + Number(length)) {
        setTimeout(() => {
          resolve({ text, bodySent, closed: socket.destroyed || socket.readyState !== "open" });
          socket.destroy();
        }, 100);
      }
    });
    socket.on("error", reject);
  });
}

describe("Expect: 100-continue", () => {
  it("lets an authorized upload continue, then stores it", async () => {
    const { text, bodySent } = await upload("/files/ok/a.txt", "hello");
    expect(bodySent).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(await readFile(join(root, "ok", "a.txt"), "utf8")).toBe("hello");
  });

  it("answers a refused upload without asking for its body, and closes the connection", async () => {
    const { text, bodySent, closed } = await upload("/files/denied/a.txt", "hello");
    expect(bodySent).toBe(false);
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(text).toContain("<Code>AccessDenied</Code>");
    expect(closed).toBe(true);
  });

  it("keeps the connection of a request declaring an empty body, and refuses an oversized XML body without inviting it", async () => {
    const empty = await upload("/files/ok/empty.txt", "");
    expect(empty.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(empty.text).not.toMatch(/\r\nconnection: close\r\n/i);
    // A DeleteObjects body declared past the 2 MiB limit: refused at once, its body never asked for.
    const headers = await signedHeaders(endpoint, KEY, { method: "POST", path: "/files", query: { delete: "" }, headers: { "content-length": String(3 << 20), expect: "100-continue", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(endpoint).port), "127.0.0.1", () => socket.write(`POST /files?delete= HTTP/1.1\r\n${head}\r\n`));
      let text = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        text += chunk;
        if (text.includes("</Error>")) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain("<Code>EntityTooLarge</Code>");
  });
});
