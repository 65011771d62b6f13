/**
 * The contract's object checks: bytes round-tripped through put, get, head and delete, empty objects and overwrites,
 * content headers and user metadata, the checksums a backend keeps, response header overrides, byte ranges,
 * conditional reads (and, for backends that declare it, conditional writes), and keys with special characters.
 */
import { DEFAULT_CHECKSUM_FACTORIES, type ChecksumAlgorithm } from "@multistore/core/backend";
import { expect, it } from "vitest";
import { itIf, text, type BackendContractContext } from "./backend-contract-context.js";

/** Registers the object checks (inside the contract's "objects" describe). */
export function objectsContract(context: BackendContractContext): void {
  const { capabilities, gaps, fresh, put, get, head, del, code, putOk, listAll } = context;

  it("round-trips bytes through put, get, head and delete", async () => {
    const key = `${fresh()}object.bin`;
    const bytes = new Uint8Array(Array.from({ length: 1000 }, (_, i) => i % 256));
    const etag = await putOk(key, bytes);
    const got = await get(key);
    expect(got.status).toBe(200);
    expect(Buffer.from(got.body).equals(Buffer.from(bytes))).toBe(true);
    expect(got.headers.get("content-length")).toBe("1000");
    expect(got.headers.get("etag")).toBe(etag);
    expect(Number.isNaN(Date.parse(got.headers.get("last-modified") ?? ""))).toBe(false);
    const headed = await head(key);
    expect(headed.status).toBe(200);
    expect(headed.body.length).toBe(0);
    expect(headed.headers.get("content-length")).toBe("1000");
    expect(headed.headers.get("etag")).toBe(etag);
    expect((await del(key)).status).toBe(204);
    const gone = await get(key);
    expect(gone.status).toBe(404);
    expect(code(gone)).toBe("NoSuchKey");
    expect((await head(key)).status).toBe(404);
    expect((await del(key)).status).toBe(204);
  });

  it("stores empty objects and overwrites", async () => {
    const key = `${fresh()}empty`;
    await putOk(key, "");
    const empty = await get(key);
    expect(empty.status).toBe(200);
    expect(empty.body.length).toBe(0);
    await putOk(key, "second version");
    expect(text((await get(key)).body)).toBe("second version");
  });

  it("stores content headers and user metadata", async () => {
    const key = `${fresh()}meta.txt`;
    await putOk(key, "hello", {
      "content-type": "text/plain; charset=utf-8",
      "content-disposition": 'attachment; filename="x.txt"',
      "content-language": "en",
      "cache-control": "max-age=60",
      expires: "Wed, 21 Oct 2037 07:28:00 GMT",
      "x-amz-meta-color": "blue",
      "x-amz-meta-Mixed-Case": "Value",
    });
    for (const response of [await head(key), await get(key)]) {
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(response.headers.get("content-disposition")).toBe('attachment; filename="x.txt"');
      expect(response.headers.get("content-language")).toBe("en");
      expect(response.headers.get("cache-control")).toBe("max-age=60");
      expect(Date.parse(response.headers.get("expires") ?? "")).toBe(Date.parse("Wed, 21 Oct 2037 07:28:00 GMT"));
      expect(response.headers.get("x-amz-meta-color")).toBe("blue");
      expect(response.headers.get("x-amz-meta-mixed-case")).toBe("Value");
    }
    const plain = `${fresh()}plain`;
    await putOk(plain, "x");
    expect((await head(plain)).headers.get("content-type")).toMatch(/octet-stream/);
  });

  it("applies response header overrides on GET and HEAD", async () => {
    const key = `${fresh()}override`;
    await putOk(key, "data", { "content-type": "text/plain" });
    const overrides = { "response-content-type": "application/x-test", "response-content-disposition": "inline", "response-cache-control": "no-store" };
    for (const response of [await get(key, undefined, { responseOverrides: overrides }), await head(key, undefined, { responseOverrides: overrides })]) {
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/x-test");
      expect(response.headers.get("content-disposition")).toBe("inline");
      expect(response.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("serves single byte ranges and refuses unsatisfiable ones", async () => {
    const key = `${fresh()}range`;
    await putOk(key, "0123456789");
    const cases: [string, string, string][] = [
      ["bytes=2-5", "2345", "bytes 2-5/10"],
      ["bytes=7-", "789", "bytes 7-9/10"],
      ["bytes=-3", "789", "bytes 7-9/10"],
      ["bytes=-100", "0123456789", "bytes 0-9/10"],
      ["bytes=8-100", "89", "bytes 8-9/10"],
    ];
    for (const [range, body, contentRange] of cases) {
      const response = await get(key, { range });
      expect(response.status, range).toBe(206);
      if (gaps.suffixRangeFromStart && range.startsWith("bytes=-")) continue;
      expect(text(response.body), range).toBe(body);
      expect(response.headers.get("content-range"), range).toBe(contentRange);
      expect(response.headers.get("content-length"), range).toBe(String(body.length));
    }
    const unsatisfiable = await get(key, { range: "bytes=10-" });
    expect(unsatisfiable.status).toBe(416);
    expect(code(unsatisfiable)).toBe("InvalidRange");
    // HeadObject answers for the range too: its length, or 416.
    const ranged = await head(key, { range: "bytes=2-5" });
    expect([ranged.status, ranged.headers.get("content-length"), ranged.headers.get("content-range")]).toEqual([206, "4", "bytes 2-5/10"]);
    expect((await head(key, { range: "bytes=10-" })).status).toBe(416);
  });

  it("evaluates conditional GET and HEAD", async () => {
    const key = `${fresh()}conditional`;
    const etag = await putOk(key, "content");
    const past = new Date(Date.now() - 86_400_000).toUTCString();
    const future = new Date(Date.now() + 86_400_000).toUTCString();
    expect((await get(key, { "if-none-match": etag })).status).toBe(304);
    expect((await head(key, { "if-none-match": etag })).status).toBe(304);
    expect((await get(key, { "if-none-match": '"0123456789abcdef0123456789abcdef"' })).status).toBe(200);
    if (!gaps.ignoresReadPreconditions) {
      const failed = await get(key, { "if-match": '"0123456789abcdef0123456789abcdef"' });
      expect(failed.status).toBe(412);
      expect(code(failed)).toBe("PreconditionFailed");
      expect((await head(key, { "if-match": '"0123456789abcdef0123456789abcdef"' })).status).toBe(412);
    }
    expect((await get(key, { "if-match": etag })).status).toBe(200);
    expect((await get(key, { "if-modified-since": future })).status).toBe(304);
    expect((await get(key, { "if-modified-since": past })).status).toBe(200);
    if (!gaps.ignoresReadPreconditions) expect((await get(key, { "if-unmodified-since": past })).status).toBe(412);
    // S3: a true If-Match wins over a false If-Unmodified-Since.
    expect((await get(key, { "if-match": etag, "if-unmodified-since": past })).status).toBe(200);
  });

  itIf(capabilities.conditionalWrites === true)("evaluates conditional PUT", async () => {
    const key = `${fresh()}cas`;
    expect((await put(key, "v1", { "if-none-match": "*" })).status).toBe(200);
    const refused = await put(key, "v2", { "if-none-match": "*" });
    expect(refused.status).toBe(412);
    expect(code(refused)).toBe("PreconditionFailed");
    const etag = (await head(key)).headers.get("etag")!;
    expect((await put(key, "v3", { "if-match": '"0123456789abcdef0123456789abcdef"' })).status).toBe(412);
    expect((await put(key, "v4", { "if-match": etag })).status).toBe(200);
    expect(text((await get(key)).body)).toBe("v4");
    // If-Match on a key with no object: NoSuchKey, as on S3.
    const absent = await put(`${key}-absent`, "v5", { "if-match": etag });
    expect([absent.status, code(absent)]).toEqual([404, "NoSuchKey"]);
  });

  itIf(capabilities.conditionalWrites === true)("evaluates a conditional DELETE (If-Match)", async () => {
    const key = `${fresh()}guarded`;
    await putOk(key, "keep me");
    const etag = (await head(key)).headers.get("etag")!;
    const refused = await del(key, { "if-match": '"0123456789abcdef0123456789abcdef"' });
    expect([refused.status, code(refused)]).toEqual([412, "PreconditionFailed"]);
    expect(text((await get(key)).body)).toBe("keep me");
    expect((await del(key, { "if-match": etag })).status).toBe(204);
    expect((await get(key)).status).toBe(404);
    const absent = await del(key, { "if-match": etag });
    expect([absent.status, code(absent)]).toEqual([404, "NoSuchKey"]);
  });

  it("keeps (verified) the checksums it says it keeps (keptChecksums), and shows none it does not", async () => {
    const all = Object.keys(DEFAULT_CHECKSUM_FACTORIES) as ChecksumAlgorithm[];
    // Undefined is every algorithm S3 takes (an S3 store, fs), unless the emulator keeps none.
    const declared = context.backend().keptChecksums as readonly ChecksumAlgorithm[] | undefined;
    const kept = gaps.keepsNoChecksums ? [] : (declared ?? all);
    const bytes = new TextEncoder().encode("checksummed by the store");
    for (const algorithm of all) {
      const hash = DEFAULT_CHECKSUM_FACTORIES[algorithm]();
      await hash.update(bytes);
      const header = `x-amz-checksum-${algorithm}`;
      const value = Buffer.from(await hash.digest()).toString("base64");
      const key = `${fresh()}summed-${algorithm}`;
      await putOk(key, bytes, { [header]: value });
      const shown = kept.includes(algorithm) ? value : null;
      for (const response of [await head(key, { "x-amz-checksum-mode": "ENABLED" }), await get(key, { "x-amz-checksum-mode": "ENABLED" })]) {
        expect([algorithm, response.headers.get(header)]).toEqual([algorithm, shown]);
      }
      if (shown === null) continue;
      const wrong = await put(`${fresh()}wrong-${algorithm}`, bytes, { [header]: Buffer.alloc(Buffer.from(value, "base64").length).toString("base64") });
      expect([algorithm, wrong.status, code(wrong)]).toEqual([algorithm, 400, "BadDigest"]);
    }
  });

  it("keeps keys with special characters distinct", async () => {
    const prefix = fresh();
    const names = ["a b", "a+b", "a%25b", "a%b", "*", "a=b&c?d", "ünïcødé/ファイル", "emoji-😀", "tab\tand~tilde", "quote'\"", "semi;colon,comma"];
    for (const [index, name] of names.entries()) await putOk(prefix + name, `body ${index}`);
    for (const [index, name] of names.entries()) {
      const response = await get(prefix + name);
      expect(response.status, name).toBe(200);
      expect(text(response.body), name).toBe(`body ${index}`);
    }
    const { keys } = await listAll({ prefix, maxKeys: 1000 });
    if (gaps.listKeysDoubleEscaped) {
      expect(keys).toHaveLength(names.length);
      expect(keys).toEqual(expect.arrayContaining(names.filter((name) => !/[&<>']/.test(name)).map((name) => prefix + name)));
    } else {
      expect(new Set(keys)).toEqual(new Set(names.map((name) => prefix + name)));
    }
  });
}
