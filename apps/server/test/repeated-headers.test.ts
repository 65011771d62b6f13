/**
 * Repeated request headers on the Node server: a signed header sent twice verifies as SigV4 signs it (the values
 * joined by a bare comma, as botocore and the spec join them), and two Host headers are refused.
 */
import { connect } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@multistore/config";
import { errorCode, signedHeaders } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, createMultistoreServer, type MultistoreServer } from "../src/index.js";

const KEY = { accessKeyId: "AKIAREPEATED00000001", secretAccessKey: "repeated-secret-0000000000000000000001" };

/** Sends `text` on a fresh connection; resolves with the status and body of the answer. */
function exchange(port: number, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
      const end = answer.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(answer)?.[1];
      if (end !== -1 && length !== undefined && answer.length >= end + 4 + Number(length)) {
        socket.destroy();
        resolve({ status: Number(answer.slice(9, 12)), body: answer.slice(end + 4) });
      }
    });
    socket.on("error", reject);
  });
}

describe("repeated request headers", () => {
  let gateway: MultistoreServer;
  let root: string;
  let port: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "multistore-repeated-"));
    const config = parseConfig({
      buckets: [{ name: "files", backend_type: "fs", anonymous_access: false, backend_options: { root } }],
      roles: [],
      credentials: [{ access_key_id: KEY.accessKeyId, secret_access_key: KEY.secretAccessKey, principal_name: "tester", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object", "head_object", "put_object"] }] }],
    });
    gateway = createMultistoreServer({ config, logger: createLogger("silent") });
    port = (await gateway.listen(0, "127.0.0.1")).port;
  });

  afterAll(async () => {
    await gateway?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("verifies a signed header sent twice as SigV4 signs it: its values joined by a bare comma", async () => {
    const endpoint = `http://127.0.0.1:${port}`;
    // Signed as the spec signs two header lines `a` and `b ` (values trimmed, joined by a comma).
    const headers = await signedHeaders(endpoint, KEY, { method: "PUT", path: "/files/tagged.txt", headers: { "x-amz-meta-tag": "a,b", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body: Buffer.from("hi") });
    const lines = Object.entries(headers)
      .filter(([name]) => name !== "x-amz-meta-tag")
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    const put = await exchange(port, `PUT /files/tagged.txt HTTP/1.1\r\n${lines}x-amz-meta-tag: a\r\nx-amz-meta-tag: b \r\n\r\nhi`);
    expect([put.status, errorCode(put.body)]).toEqual([200, undefined]);
  });

  it("refuses two Host headers with 400 InvalidRequest", async () => {
    const answer = await exchange(port, `GET /files/tagged.txt HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: files.127.0.0.1:${port}\r\n\r\n`);
    expect([answer.status, errorCode(answer.body)]).toEqual([400, "InvalidRequest"]);
  });
});
