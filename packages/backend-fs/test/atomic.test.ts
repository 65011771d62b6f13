/** Writes are atomic and streamed; concurrent readers and conditional writers behave. */
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { NativeDispatch } from "@multistore/core/backend";
import { codeOf, freshBackend, get, put, run, text } from "./test-support.js";

const MiB = 1024 * 1024;

describe("fs backend atomic writes", () => {
  async function leftovers(root: string): Promise<string[]> {
    return readdir(join(root, ".multistore", "tmp"));
  }

  it("leaves nothing behind when the signal aborts mid-stream", async () => {
    const { backend, root } = await freshBackend();
    await put(backend, "k", "old");
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(MiB, 1));
    const controller = new AbortController();
    const dispatch = (await backend.prepareObject({ operation: "PutObject", key: "k", headers: new Headers({ "content-length": String(4 * MiB) }) })) as NativeDispatch<Readable>;
    const pending = dispatch.execute(body, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(text((await get(backend, "k")).body)).toBe("old");
    expect(await leftovers(root)).toEqual([]);
  });

  it("leaves nothing behind when the client's body fails", async () => {
    const { backend, root } = await freshBackend();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(MiB, 2));
    const dispatch = (await backend.prepareObject({ operation: "PutObject", key: "new", headers: new Headers() })) as NativeDispatch<Readable>;
    const pending = dispatch.execute(body, new AbortController().signal);
    setTimeout(() => body.destroy(new Error("socket hang up")), 20);
    await expect(pending).rejects.toMatchObject({ code: "IncompleteBody" });
    expect((await get(backend, "new")).status).toBe(404);
    expect(await leftovers(root)).toEqual([]);
    expect(await readdir(root)).toEqual([".multistore"]);
  });

  it("verifies Content-Length and Content-MD5", async () => {
    const { backend, root } = await freshBackend();
    await put(backend, "k", "old");
    const short = await put(backend, "k", "12345", { "content-length": "10" });
    expect(short.status).toBe(400);
    expect(codeOf(short)).toBe("IncompleteBody");
    const wrong = await put(backend, "k", "data", { "content-md5": createHash("md5").update("other").digest("base64") });
    expect(codeOf(wrong)).toBe("BadDigest");
    expect(codeOf(await put(backend, "k", "data", { "content-md5": "not base64!" }))).toBe("InvalidDigest");
    expect(text((await get(backend, "k")).body)).toBe("old");
    const right = await put(backend, "k", "data", { "content-md5": createHash("md5").update("data").digest("base64") });
    expect(right.status).toBe(200);
    expect(await leftovers(root)).toEqual([]);
  });

  it("lands every write in a directory that concurrent deletes empty and prune", async () => {
    const { backend } = await freshBackend();
    const failed: string[] = [];
    for (let round = 0; round < 100; round++) {
      await put(backend, `r${round}/s/t/b`, "b");
      const [written] = await Promise.all([put(backend, `r${round}/s/t/c`, "c"), run(backend, { operation: "DeleteObject", key: `r${round}/s/t/b` })]);
      if (written.status !== 200 || text((await get(backend, `r${round}/s/t/c`)).body) !== "c") failed.push(`round ${round}: ${written.status}`);
    }
    expect(failed).toEqual([]);
  });

  it("keeps a folder marker written while a delete empties its directory", async () => {
    const { backend } = await freshBackend();
    const lost: number[] = [];
    for (let round = 0; round < 50; round++) {
      await put(backend, `m${round}/last`, "x");
      const [marker] = await Promise.all([put(backend, `m${round}/`, ""), run(backend, { operation: "DeleteObject", key: `m${round}/last` })]);
      expect(marker.status).toBe(200);
      if ((await run(backend, { operation: "HeadObject", key: `m${round}/` })).status !== 200) lost.push(round);
    }
    expect(lost).toEqual([]);
  });

  it("lets exactly one of many If-None-Match: * writers win", async () => {
    const { backend } = await freshBackend();
    const writers = Array.from({ length: 16 }, (_, i) => put(backend, "race", `writer ${i} `.repeat(5000), { "if-none-match": "*" }));
    const results = await Promise.all(writers);
    const winners = results.map((result, i) => [result.status, i] as const).filter(([status]) => status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((result) => result.status === 412)).toHaveLength(15);
    expect(text((await get(backend, "race")).body)).toBe(`writer ${winners[0]![1]} `.repeat(5000));
  });

  it("lets exactly one of many If-Match writers win", async () => {
    const { backend } = await freshBackend();
    const etag = (await put(backend, "cas", "v0")).headers.get("etag")!;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(backend, "cas", `v${i + 1}`, { "if-match": etag })));
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
  });

  it("never shows readers a mix of two versions", async () => {
    const { backend } = await freshBackend();
    const size = 512 * 1024;
    const versions = ["a", "b", "c"].map((letter) => Buffer.alloc(size, letter));
    await put(backend, "busy", versions[0]!);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 30; i++) await put(backend, "busy", versions[i % 3]!, { "x-amz-meta-round": String(i) });
      writing = false;
    })();
    let reads = 0;
    const reader = async () => {
      while (writing) {
        const response = await get(backend, "busy");
        expect(response.status).toBe(200);
        const body = Buffer.from(response.body);
        expect(body.length).toBe(size);
        expect(body.every((byte) => byte === body[0])).toBe(true);
        expect(response.headers.get("etag")).toBe(`"${createHash("md5").update(body).digest("hex")}"`);
        reads++;
      }
    };
    await Promise.all([writer, reader(), reader(), reader()]);
    expect(reads).toBeGreaterThan(0);
  });

  it("streams a 20 MiB object both ways", async () => {
    const { backend } = await freshBackend();
    const chunk = Buffer.alloc(64 * 1024);
    const sent = createHash("md5");
    async function* produce() {
      for (let i = 0; i < 320; i++) {
        chunk.fill(i % 256);
        sent.update(chunk);
        yield Buffer.from(chunk);
      }
    }
    const headers = new Headers({ "content-length": String(20 * MiB) });
    const putDispatch = (await backend.prepareObject({ operation: "PutObject", key: "big", headers })) as NativeDispatch<Readable>;
    const written = await putDispatch.execute(Readable.from(produce()), new AbortController().signal);
    const expected = sent.digest("hex");
    expect(written.headers.get("etag")).toBe(`"${expected}"`);
    const getDispatch = (await backend.prepareObject({ operation: "GetObject", key: "big", headers: new Headers() })) as NativeDispatch<Readable>;
    const response = await getDispatch.execute(null, new AbortController().signal);
    expect(response.body).toBeInstanceOf(Readable);
    expect(response.headers.get("content-length")).toBe(String(20 * MiB));
    const received = createHash("md5");
    let largest = 0;
    for await (const piece of response.body as Readable) {
      largest = Math.max(largest, (piece as Buffer).length);
      received.update(piece as Buffer);
    }
    expect(received.digest("hex")).toBe(expected);
    expect(largest).toBeLessThanOrEqual(MiB); // Streamed in chunks, never one 20 MiB buffer.
  }, 30_000);
});
