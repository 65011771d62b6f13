/**
 * The browser suite's web-app flows: the AWS SDK for JavaScript v3 running in the page lists a bucket and uploads a
 * 20 MiB file in parts (reading each part's ETag through CORS), the page uploads 20 MiB with a presigned PUT, and a
 * bucket without CORS rules is refused by the browser. Registered inside `runBrowserSuite`, on its pages and gateway.
 */
import { createHash } from "node:crypto";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { sdkClient, type KeyPair } from "./behaviour/clients.js";
import { presignedForm } from "./form-posts.js";
import { formPostInPage, formSubmitInPage, listInPage, loadSdk, multipartInPage, pageFetch, patternBytes, putInPage } from "./browser-page-actions.js";

/** What the flows need from the suite that registers them. */
export interface UploadSession {
  /** The gateway's endpoint (once started). */
  endpoint(): string;
  /** A page loaded from an origin. */
  pageAt(origin: string): Promise<Page>;
  /** The page origins: `sdk` may call anything on the open bucket; `app` is allowed there too, with fewer headers. */
  origins(): { app: string; sdk: string };
  /** The key the web app signs with. */
  key: KeyPair;
  /** A bucket with CORS rules for the origins, one without any, and an anonymous-read one `app` may read ranges of. */
  buckets: { open: string; closed: string; public: string };
}

const LARGE = 20 * 1024 * 1024;
const PART = 5 * 1024 * 1024;
// Uploads of 20 MiB through a browser, a gateway and its backend on a loaded machine.
const UPLOAD_TIMEOUT_MS = 90_000;

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Registers the flows (call inside a `describe`). */
export function registerUploadTests(session: UploadSession): void {
  const s3 = () => sdkClient(session.endpoint(), session.key);
  const client = () => ({ endpoint: session.endpoint(), key: session.key });
  const { open, closed } = session.buckets;

  /** The stored object's digest and length, read back from Node. */
  async function stored(bucket: string, key: string): Promise<{ length: number; digest: string; etag: string | undefined }> {
    const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body!.transformToByteArray();
    return { length: bytes.length, digest: sha256(bytes), etag: object.ETag };
  }

  it("lists the bucket with the AWS SDK for JavaScript v3 running in the page", async () => {
    const keys = ["listed/a.txt", "listed/b/c.txt", "listed/d.txt"];
    for (const key of keys) await s3().send(new PutObjectCommand({ Bucket: open, Key: key, Body: key }));
    const page = await session.pageAt(session.origins().sdk);
    await loadSdk(page);
    expect(await listInPage(page, client(), open, "listed/")).toEqual({ keys });
    // The same SDK, from the page, on the bucket without CORS rules: the browser keeps the answer from the page.
    const refused = await listInPage(page, client(), closed, "");
    expect(refused.keys).toBeUndefined();
    expect(refused.error).toMatch(/fetch/i);
  }, 60_000);

  it("uploads 20 MiB in parts with the SDK in the page, reading each part's ETag through CORS", async () => {
    const page = await session.pageAt(session.origins().sdk);
    await loadSdk(page);
    const key = "uploads/multipart from chromium.bin";
    const result = await multipartInPage(page, client(), open, key, LARGE, PART);
    expect(result.error).toBeUndefined();
    expect(result.partETags).toHaveLength(LARGE / PART);
    for (const etag of result.partETags!) expect(etag).toMatch(/^"[^"]+"$/);
    const object = await stored(open, key);
    expect([object.length, object.digest]).toEqual([LARGE, sha256(patternBytes(LARGE))]);
    // A multipart ETag: the parts' digest and their count.
    expect(object.etag).toMatch(new RegExp(`-${LARGE / PART}"$`));
    expect(result.etag).toBe(object.etag);
  }, UPLOAD_TIMEOUT_MS);

  it("uploads 20 MiB with a presigned PUT from the page and reads the exposed ETag", async () => {
    const page = await session.pageAt(session.origins().app);
    const key = "uploads/presigned from chromium.bin";
    const url = await getSignedUrl(s3(), new PutObjectCommand({ Bucket: open, Key: key, ContentType: "application/octet-stream" }), { expiresIn: 300 });
    const put = await putInPage(page, url, LARGE, "application/octet-stream");
    expect([put.error, put.status]).toEqual([undefined, 200]);
    const object = await stored(open, key);
    expect([object.length, object.digest]).toEqual([LARGE, sha256(patternBytes(LARGE))]);
    expect(put.etag).toBe(object.etag);
    const head = await s3().send(new HeadObjectCommand({ Bucket: open, Key: key }));
    expect(head.ContentType).toBe("application/octet-stream");
  }, UPLOAD_TIMEOUT_MS);

  it("uploads 20 MiB with a signed form (createPresignedPost) from the page's fetch and reads the exposed ETag", async () => {
    const page = await session.pageAt(session.origins().sdk);
    const form = await presignedForm(session.endpoint(), session.key, { bucket: open, key: "uploads/form/${filename}", conditions: [["content-length-range", 1, LARGE]], expires: 300 });
    const posted = await formPostInPage(page, form, LARGE, "from chromium.bin");
    expect([posted.error, posted.status]).toEqual([undefined, 204]);
    const object = await stored(open, "uploads/form/from chromium.bin");
    expect([object.length, object.digest]).toEqual([LARGE, sha256(patternBytes(LARGE))]);
    expect(posted.etag).toBe(object.etag);
  }, UPLOAD_TIMEOUT_MS);

  it("takes an HTML form submitted with a chosen file, and redirects the browser as the form asks", async () => {
    const origin = session.origins().app;
    const page = await session.pageAt(origin);
    const redirect = `${origin}/?uploaded=1`;
    const form = await presignedForm(session.endpoint(), session.key, { bucket: open, key: "uploads/html/${filename}", fields: { success_action_redirect: redirect, "Content-Type": "text/plain" }, expires: 300 });
    const landed = new URL(await formSubmitInPage(page, form, { name: "chosen.txt", mimeType: "text/plain", buffer: Buffer.from("chosen by a person\n") }));
    const object = await stored(open, "uploads/html/chosen.txt");
    expect([landed.origin, landed.searchParams.get("uploaded"), landed.searchParams.get("bucket"), landed.searchParams.get("key"), landed.searchParams.get("etag")]).toEqual([origin, "1", open, "uploads/html/chosen.txt", object.etag]);
    expect(object.length).toBe("chosen by a person\n".length);
    const head = await s3().send(new HeadObjectCommand({ Bucket: open, Key: "uploads/html/chosen.txt" }));
    expect(head.ContentType).toBe("text/plain");
  }, 60_000);

  it("reads byte ranges of a public object anonymously, as open-data readers do", async () => {
    const text = Array.from({ length: 200 }, (_, index) => `line ${String(index).padStart(3, "0")}\n`).join("");
    await s3().send(new PutObjectCommand({ Bucket: session.buckets.public, Key: "tiles/data.txt", Body: text }));
    const page = await session.pageAt(session.origins().app);
    const url = `${session.endpoint()}/${session.buckets.public}/tiles/data.txt`;
    const middle = await pageFetch(page, url, { headers: { range: "bytes=100-199" } });
    expect([middle.error, middle.status, middle.text, middle.headers?.["content-range"]]).toEqual([undefined, 206, text.slice(100, 200), `bytes 100-199/${text.length}`]);
    // A footer read (suffix range) is preflighted; the rule allows `range`.
    const footer = await pageFetch(page, url, { headers: { range: "bytes=-9" } });
    expect([footer.error, footer.status, footer.text]).toEqual([undefined, 206, text.slice(-9)]);
  });

  it("is refused by the browser on a bucket without CORS rules, which the gateway serves to others", async () => {
    await s3().send(new PutObjectCommand({ Bucket: closed, Key: "closed.txt", Body: "not for pages" }));
    const url = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: closed, Key: "closed.txt" }), { expiresIn: 300 });
    const page = await session.pageAt(session.origins().app);
    const read = await pageFetch(page, url);
    expect(read.error).toMatch(/^TypeError/);
    // The gateway answered the GET (no preflight for it), with no CORS headers for the page's origin.
    const sent = await fetch(url, { headers: { origin: session.origins().app } });
    expect([sent.status, sent.headers.get("access-control-allow-origin"), await sent.text()]).toEqual([200, null, "not for pages"]);
    // The open bucket's rules do not leak onto it: a preflight there is refused.
    const preflight = await fetch(url, { method: "OPTIONS", headers: { origin: session.origins().app, "access-control-request-method": "GET" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.status).toBe(403);
  });
}
