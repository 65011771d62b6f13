/**
 * Direct resource access end to end on the GCS test server with `acceptBearer`: what the server accepts is exactly
 * the token the provider hands out now, a revoked token is the gateway's problem (503, never the client's 401),
 * and a renewed one works on the next request.
 */
import type { ForwardDispatch } from "@multistore/core/backend";
import { executeDispatch, startGcsTestServer, type GcsTestServer } from "@multistore/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGcsBackend as createNode, type GcsBackend } from "../src/node.js";
import { createGcsBackend as createWorker } from "../src/worker.js";

const live = new Set<string>();
let server: GcsTestServer;

beforeAll(async () => {
  server = await startGcsTestServer({ buckets: ["direct"], acceptBearer: (token) => live.has(token) });
});
afterAll(() => server.close());

describe.each([
  ["node", createNode],
  ["worker", createWorker],
] as const)("direct resource access on the GCS test server (%s build)", (build, create) => {
  let current = `token-${build}-1`;
  let direct: GcsBackend;
  beforeAll(() => {
    // The provider reads `current` on every call, as a caching provider returns its latest renewal.
    direct = create({ bucket_name: "direct", endpoint: server.endpoint, auth_type: "oidc" }, { accessToken: async () => ({ accessToken: current, expiresAt: new Date(Date.now() + 60_000) }) });
    live.add(current);
  });

  const put = async (key: string, body: string) =>
    executeDispatch((await direct.prepareObject({ operation: "PutObject", key, headers: new Headers({ "content-length": String(body.length) }) })) as ForwardDispatch, body);
  const get = async (key: string) => executeDispatch((await direct.prepareObject({ operation: "GetObject", key, headers: new Headers() })) as ForwardDispatch);

  it("writes, reads and lists with the bearer token only", async () => {
    const before = server.requests.length;
    expect((await put(`${build}/a.txt`, "hello")).status).toBe(200);
    const got = await get(`${build}/a.txt`);
    expect({ status: got.status, body: new TextDecoder().decode(got.body) }).toEqual({ status: 200, body: "hello" });
    expect((await direct.listObjects({ prefix: `${build}/`, maxKeys: 10 })).objects.map((object) => object.key)).toEqual([`${build}/a.txt`]);
    const seen = server.requests.slice(before);
    expect(seen.map((request) => [request.auth, request.headers.authorization, request.status])).toEqual([
      ["bearer", `Bearer ${current}`, 200],
      ["bearer", `Bearer ${current}`, 200],
      ["bearer", `Bearer ${current}`, 200],
    ]);
  });

  it("answers 503 while the token is refused, and uses a renewed token at once", async () => {
    live.delete(current);
    await expect(direct.listObjects({ prefix: "", maxKeys: 1 })).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
    expect(server.requests.at(-1)).toMatchObject({ status: 401, auth: "bearer" });
    const refused = await get(`${build}/a.txt`);
    expect({ status: refused.status, code: refused.headers.get("x-multistore-error-code") }).toEqual({ status: 503, code: "ServiceUnavailable" });
    current = `token-${build}-2`;
    live.add(current);
    expect((await get(`${build}/a.txt`)).status).toBe(200);
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${current}`);
  });
});
