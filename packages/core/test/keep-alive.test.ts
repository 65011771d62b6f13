/**
 * Long answers kept alive as S3 keeps them: the work's own answer when it is quick, else 200 at once, the XML
 * declaration, a space per interval and the outcome's document (an error document when the work failed).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerPatiently, isKeepAliveBody, keepAliveSettings, KeepAliveBody } from "../src/keep-alive.js";
import { HeaderMap } from "../src/header-map.js";
import { parseXml } from "../src/backend.js";
import { S3Error } from "../src/errors.js";
import type { PlainResponse } from "../src/types.js";

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
const RESULT = `${DECLARATION}<CopyObjectResult><ETag>"e"</ETag></CopyObjectResult>`;
const render = (error: unknown) => {
  const code = error instanceof S3Error ? error.code : "InternalError";
  return { code, status: error instanceof S3Error ? error.status : 500, body: `${DECLARATION}<Error><Code>${code}</Code></Error>` };
};
const settings = { afterMs: 60, everyMs: 40 };

afterEach(() => {
  vi.useRealTimers();
});

/** Work that settles after `ms` with a result (or `error`). */
function work(ms: number, error?: unknown): Promise<PlainResponse<never>> {
  const headers = new HeaderMap();
  headers.set("x-amz-version-id", "v1");
  return new Promise((resolve, reject) => setTimeout(() => (error === undefined ? resolve({ status: 200, headers, body: RESULT }) : reject(error)), ms));
}

/** Reads a body to its end: its chunks as text, and when each came (ms since the call). */
async function readAll(body: KeepAliveBody): Promise<{ chunks: string[]; at: number[] }> {
  const started = performance.now();
  const chunks: string[] = [];
  const at: number[] = [];
  for await (const chunk of body) {
    chunks.push(new TextDecoder().decode(chunk));
    at.push(performance.now() - started);
  }
  return { chunks, at };
}

describe("answerPatiently", () => {
  it("answers with the work's own response, headers and all, when it settles in time", async () => {
    const answer = await answerPatiently(work(5), settings, render);
    expect(answer.body).toBe(RESULT);
    expect(answer.headers.get("x-amz-version-id")).toBe("v1");
  });

  it("rejects with the work's own error when it fails in time (a normal error answer)", async () => {
    await expect(answerPatiently(work(5, new S3Error("NoSuchKey")), settings, render)).rejects.toMatchObject({ code: "NoSuchKey" });
  });

  it("starts a 200 answer past afterMs: the declaration, a space per everyMs, then the result's root element", async () => {
    const answer = await answerPatiently(work(600), settings, render);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/xml");
    expect(isKeepAliveBody(answer.body)).toBe(true);
    const body = answer.body as KeepAliveBody;
    const { chunks } = await readAll(body);
    expect(chunks[0]).toBe(DECLARATION);
    expect(chunks.at(-1)).toBe('<CopyObjectResult><ETag>"e"</ETag></CopyObjectResult>');
    const spaces = chunks.slice(1, -1);
    expect(spaces.length).toBeGreaterThanOrEqual(2);
    expect(spaces.every((chunk) => chunk === " ")).toBe(true);
    // The whole answer is one well-formed document.
    expect(parseXml(chunks.join("")).name).toBe("CopyObjectResult");
    expect(await body.ended).toEqual({ complete: true });
    expect(body.lateFailure).toBeUndefined();
  });

  it("ends a started answer with the error's document, and says which error it was", async () => {
    const error = new S3Error("ServiceUnavailable", { message: "the source broke off" });
    const answer = await answerPatiently(work(120, error), settings, render);
    const body = answer.body as KeepAliveBody;
    const { chunks } = await readAll(body);
    expect(answer.status).toBe(200);
    expect(chunks.join("")).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n *<Error><Code>ServiceUnavailable<\/Code><\/Error>$/);
    expect(parseXml(chunks.join("")).name).toBe("Error");
    const ended = await body.ended;
    expect(ended.complete).toBe(true);
    expect(ended.failure).toMatchObject({ code: "ServiceUnavailable", status: 503, error });
    expect(body.lateFailure?.code).toBe("ServiceUnavailable");
  });

  it("sends the document as soon as the work ends, not at the next interval", async () => {
    const answer = await answerPatiently(work(100), { afterMs: 20, everyMs: 1000 }, render);
    const { at } = await readAll(answer.body as KeepAliveBody);
    expect(at.at(-1)).toBeLessThan(500);
  });

  it("stops at once when its reader stops (the client left): no more chunks, no timer left", async () => {
    vi.useFakeTimers();
    const pending = answerPatiently(new Promise<never>(() => {}), settings, render);
    await vi.advanceTimersByTimeAsync(settings.afterMs);
    const body = (await pending).body as KeepAliveBody;
    expect(new TextDecoder().decode((await body.next()).value)).toBe(DECLARATION);
    const waiting = body.next();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    await body.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(await body.next()).toEqual({ done: true, value: undefined });
    expect(await body.ended).toEqual({ complete: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("hands out chunks in order, once each, to reads made before the last one came", async () => {
    const answer = await answerPatiently(work(150), { afterMs: 20, everyMs: 5000 }, render);
    const body = answer.body as KeepAliveBody;
    const reads = await Promise.all([body.next(), body.next(), body.next()]);
    expect(new TextDecoder().decode(reads[0]!.value)).toBe(DECLARATION);
    expect(new TextDecoder().decode(reads[1]!.value)).toBe('<CopyObjectResult><ETag>"e"</ETag></CopyObjectResult>');
    expect(reads[2]).toEqual({ done: true, value: undefined });
  });

  it("waits for the outcome without settings", async () => {
    const answer = await answerPatiently(work(100), undefined, render);
    expect(answer.body).toBe(RESULT);
  });
});

describe("keepAliveSettings", () => {
  it("defaults to 10 s, takes partial settings and turns off with false", () => {
    expect(keepAliveSettings(undefined)).toEqual({ afterMs: 10_000, everyMs: 10_000 });
    expect(keepAliveSettings({ everyMs: 5000 })).toEqual({ afterMs: 10_000, everyMs: 5000 });
    expect(keepAliveSettings(false)).toBeUndefined();
    // A field given as undefined keeps its default (an option object built from optional settings).
    expect(keepAliveSettings({ afterMs: undefined, everyMs: 2000 })).toEqual({ afterMs: 10_000, everyMs: 2000 });
  });

  it("refuses settings that are no whole number of milliseconds, naming the field", () => {
    for (const bad of [{ afterMs: 0 }, { afterMs: 1.5 }, { everyMs: -1 }, { everyMs: Number.NaN }, { afterMs: "10" as unknown as number }]) {
      expect(() => keepAliveSettings(bad), JSON.stringify(bad)).toThrow(/keepAlive\.(afterMs|everyMs) must be a whole number/);
    }
  });
});
