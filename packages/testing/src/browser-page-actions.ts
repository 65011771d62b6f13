/**
 * What the browser suite's pages do, run inside them with `page.evaluate`: `fetch` as a web app's script would, and
 * the AWS SDK for JavaScript v3 as a web app ships it: `@aws-sdk/client-s3` bundled for the browser by esbuild (its
 * `browser` fields pick the fetch handler and WebCrypto), loaded into a page, and driven there. Bundled once per
 * process from the SDK this package depends on, so the suite needs no network and no prebuilt file.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { PresignedForm } from "./form-posts.js";
import type { Page } from "playwright-core";
import type { KeyPair } from "./behaviour/clients.js";

/** What a page's fetch came to: a response (headers as the page can read them), or the error fetch rejected with. */
export interface PageResponse {
  /** The response's status. */
  status?: number;
  /** Its body as text. */
  text?: string;
  /** Its headers as the page can read them (safelisted and exposed ones). */
  headers?: Record<string, string>;
  /** What fetch rejected with (`TypeError: ...` when the browser blocked the answer). */
  error?: string;
}

/**
 * Runs `fetch(url, init)` inside the page, as the web app's own script would. `cache: "no-store"`: each check is
 * about the gateway's answer, not Chromium's HTTP cache. (With the cache, a Range read of a URL read whole before is
 * revalidated (304) and cut from the cached copy; under miniflare that copy is gzip-encoded with the strong ETag
 * kept, and Chromium fails the read with ERR_CONTENT_DECODING_FAILED — see docs/clients.md.)
 */
export function pageFetch(page: Page, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<PageResponse> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, { ...init, cache: "no-store" });
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        return { status: response.status, text: await response.text(), headers };
      } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    },
    { url, init },
  );
}

/** The global the bundle defines in a page. */
const GLOBAL = "MultistoreS3";

let bundle: Promise<string> | undefined;

/** The SDK's browser bundle (an IIFE that sets `window.MultistoreS3`), built on first use. */
export function sdkBundle(): Promise<string> {
  bundle ??= build({
    stdin: {
      contents: `export { S3Client, ListObjectsV2Command, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand, AbortMultipartUploadCommand } from "@aws-sdk/client-s3";`,
      // Resolved from this package, which depends on the SDK.
      resolveDir: fileURLToPath(new URL("..", import.meta.url)),
      loader: "js",
    },
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: GLOBAL,
    target: "es2022",
    write: false,
    logLevel: "silent",
  }).then((result) => result.outputFiles[0]!.text);
  return bundle;
}

/** Loads the SDK into `page` (once per page). */
export async function loadSdk(page: Page): Promise<void> {
  if (await page.evaluate((name) => name in globalThis, GLOBAL)) return;
  await page.addScriptTag({ content: await sdkBundle() });
}

/** Where the page's SDK client sends its requests, and as whom. */
export interface PageClient {
  /** The gateway's endpoint. */
  endpoint: string;
  /** The key the page signs with. */
  key: KeyPair;
}

/** A listing as the page's SDK returned it, or the error it threw (name and message). */
export interface PageListing {
  /** The listed keys. */
  keys?: string[];
  /** What the SDK threw. */
  error?: string;
}

/** Lists `bucket` under `prefix` with the SDK running in the page. */
export function listInPage(page: Page, client: PageClient, bucket: string, prefix: string): Promise<PageListing> {
  return page.evaluate(
    async ({ client, bucket, prefix, name }) => {
      const sdk = (globalThis as Record<string, any>)[name];
      const s3 = new sdk.S3Client({ region: "us-east-1", endpoint: client.endpoint, forcePathStyle: true, credentials: client.key });
      try {
        const listed = await s3.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
        return { keys: (listed.Contents ?? []).map((item: { Key: string }) => item.Key) };
      } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    },
    { client, bucket, prefix, name: GLOBAL },
  );
}

/** What a multipart upload from the page came to: each part's ETag as the page read it, and the object's. */
export interface PageMultipart {
  /** Each part's ETag as the page read it (undefined when CORS kept it from the page). */
  partETags?: (string | undefined)[];
  /** The completed object's ETag. */
  etag?: string;
  /** What went wrong. */
  error?: string;
}

/**
 * Uploads `size` bytes of `patternByte(i)` to `bucket/key` as a multipart upload of `partSize` parts with the SDK
 * running in the page. The bytes are made in the page (a web app uploading a file it holds). The parts' ETags come
 * from the UploadPart responses, so the upload completes only if the gateway's CORS answer exposes `ETag`.
 */
export function multipartInPage(page: Page, client: PageClient, bucket: string, key: string, size: number, partSize: number): Promise<PageMultipart> {
  return page.evaluate(
    async ({ client, bucket, key, size, partSize, name }) => {
      const sdk = (globalThis as Record<string, any>)[name];
      const s3 = new sdk.S3Client({ region: "us-east-1", endpoint: client.endpoint, forcePathStyle: true, credentials: client.key });
      const bytes = new Uint8Array(size);
      for (let index = 0; index < size; index++) bytes[index] = (index * 31 + 7) & 255;
      let uploadId: string | undefined;
      try {
        const created = await s3.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: "application/octet-stream" }));
        uploadId = created.UploadId;
        const parts: { PartNumber: number; ETag: string | undefined }[] = [];
        for (let offset = 0, number = 1; offset < size; offset += partSize, number++) {
          const part = await s3.send(new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: number, Body: bytes.subarray(offset, offset + partSize) }));
          parts.push({ PartNumber: number, ETag: part.ETag });
        }
        const partETags = parts.map((part) => part.ETag);
        if (partETags.includes(undefined)) return { partETags, error: "an UploadPart response's ETag was not readable" };
        const done = await s3.send(new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        return { partETags, etag: done.ETag };
      } catch (error) {
        if (uploadId !== undefined) await s3.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    },
    { client, bucket, key, size, partSize, name: GLOBAL },
  );
}

/** The bytes `multipartInPage` and `putInPage` upload, made in Node to compare with what was stored. */
export function patternBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let index = 0; index < size; index++) bytes[index] = (index * 31 + 7) & 255;
  return bytes;
}

/** What a presigned PUT of generated bytes from the page came to. */
export interface PagePut {
  /** The response's status. */
  status?: number;
  /** The ETag the page could read (null when not exposed). */
  etag?: string | null;
  /** What fetch rejected with. */
  error?: string;
}

/** PUTs `size` pattern bytes (see `patternBytes`) to a presigned URL with the page's `fetch`. */
export function putInPage(page: Page, url: string, size: number, contentType: string): Promise<PagePut> {
  return page.evaluate(
    async ({ url, size, contentType }) => {
      const bytes = new Uint8Array(size);
      for (let index = 0; index < size; index++) bytes[index] = (index * 31 + 7) & 255;
      try {
        const response = await fetch(url, { method: "PUT", body: bytes, headers: { "content-type": contentType }, cache: "no-store" });
        return { status: response.status, etag: response.headers.get("etag") };
      } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    },
    { url, size, contentType },
  );
}

/** Posts a form of `fields` and `size` pattern bytes (the file, last) with the page's `fetch` and `FormData`. */
export function formPostInPage(page: Page, form: PresignedForm, size: number, filename: string): Promise<PagePut> {
  return page.evaluate(
    async ({ form, size, filename }) => {
      const bytes = new Uint8Array(size);
      for (let index = 0; index < size; index++) bytes[index] = (index * 31 + 7) & 255;
      const body = new FormData();
      for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
      body.append("file", new File([bytes], filename, { type: "application/octet-stream" }));
      try {
        const response = await fetch(form.url, { method: "POST", body, cache: "no-store" });
        return { status: response.status, etag: response.headers.get("etag") };
      } catch (error) {
        return { error: `${(error as Error).name}: ${(error as Error).message}` };
      }
    },
    { form, size, filename },
  );
}

/**
 * Submits a real HTML form (method POST, multipart/form-data) with a file the user "chose" (`setInputFiles`), as a
 * page without script would; resolves with the URL the browser lands on (the form's `success_action_redirect`, to
 * which the gateway adds `bucket`, `key` and `etag`).
 */
export async function formSubmitInPage(page: Page, form: PresignedForm, file: { name: string; mimeType: string; buffer: Buffer }): Promise<string> {
  await page.evaluate((form) => {
    const element = document.createElement("form");
    element.method = "POST";
    element.enctype = "multipart/form-data";
    element.action = form.url;
    for (const [name, value] of Object.entries(form.fields)) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      element.append(input);
    }
    const chooser = document.createElement("input");
    chooser.type = "file";
    chooser.name = "file";
    chooser.id = "chooser";
    element.append(chooser);
    document.body.append(element);
  }, form);
  await page.setInputFiles("#chooser", file);
  await Promise.all([page.waitForURL((url) => url.searchParams.has("etag"), { timeout: 30_000 }), page.evaluate(() => document.querySelector("form")!.submit())]);
  return page.url();
}
