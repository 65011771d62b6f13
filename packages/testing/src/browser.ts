/**
 * A real browser as an S3 client: Debian's Chromium, headless, driven by playwright-core, runs a web app's fetches
 * from pages on their own origins (a local page server) against a gateway on another one. Presigned PUT and GET
 * URLs are made in Node (as a web app's backend would); the page uploads, downloads, reads a range and reads the
 * headers CORS exposes, and Chromium enforces the gateway's CORS answers. One suite, run by the Node server and the
 * Worker tests with their own bucket and start function.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, sdkClient, type KeyPair } from "./behaviour/clients.js";
import { startPageOrigins, type PageOrigins } from "./browser-pages.js";
import { pageFetch } from "./browser-page-actions.js";
import { registerUploadTests } from "./browser-uploads.js";

/** What the suite needs from a runtime. */
export interface BrowserRuntime {
  /** A bucket definition (backend and options) for a configured bucket name. */
  bucket(name: string): Record<string, unknown>;
  /** Starts a gateway on this config; resolves with its endpoint. */
  start(config: Record<string, unknown>): Promise<{ endpoint: string; close(): Promise<void> }>;
}

/** Debian's Chromium (`apt-get install chromium`); playwright-core drives it and downloads no browser of its own. */
export const CHROMIUM = "/usr/bin/chromium";

const KEY: KeyPair = { accessKeyId: "AKIABROWSERCLIENT001", secretAccessKey: "browser-client-secret-00000000000000000001" };
const BUCKET = "web";
/** A bucket with no CORS rules (and there are no global ones). */
const CLOSED_BUCKET = "closed";
/** An anonymous-read bucket (open data) that pages read by ranges. */
const PUBLIC_BUCKET = "open-data";
const EXPOSED = ["ETag", "x-amz-request-id", "Content-Range"];
// Response headers a cross-origin page reads without them being exposed (Fetch's CORS-safelisted response headers).
const SAFELISTED = ["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"];

/**
 * The config the suite runs: a private bucket with its own CORS rules, a bucket without any (and no global rules, so
 * CORS is off there), an anonymous-read bucket whose rule lets `app` read ranges, and a key on all three. The `web` bucket's rules: `app` may GET, HEAD and PUT with `Content-Type` and
 * `Range`; `reader` may only GET, with no request headers (so a preflight asking for `Range` is refused); `sdk` (a web
 * app using the AWS SDK) may call every method with any header and reads `ETag`. Any other origin has no rule.
 */
export function browserConfig(runtime: BrowserRuntime, origins: { app: string; reader: string; sdk: string }): Record<string, unknown> {
  return {
    buckets: [
      {
        ...runtime.bucket(BUCKET),
        anonymous_access: false,
        cors_rules: [
          { allowed_origins: [origins.app], allowed_methods: ["GET", "HEAD", "PUT"], allowed_headers: ["content-type", "range"], expose_headers: EXPOSED, max_age_secs: 60 },
          { allowed_origins: [origins.reader], allowed_methods: ["GET"] },
          { allowed_origins: [origins.sdk], allowed_methods: ["GET", "HEAD", "PUT", "POST", "DELETE"], allowed_headers: ["*"], expose_headers: EXPOSED, max_age_secs: 60 },
        ],
      },
      { ...runtime.bucket(CLOSED_BUCKET), anonymous_access: false },
      {
        ...runtime.bucket(PUBLIC_BUCKET),
        anonymous_access: true,
        cors_rules: [{ allowed_origins: [origins.app], allowed_methods: ["GET", "HEAD"], allowed_headers: ["range"], expose_headers: ["Content-Range", "ETag"], max_age_secs: 60 }],
      },
    ],
    roles: [],
    credentials: [
      {
        access_key_id: KEY.accessKeyId,
        secret_access_key: KEY.secretAccessKey,
        principal_name: "web-app",
        created_at: "2024-01-01T00:00:00Z",
        enabled: true,
        allowed_scopes: [
          { bucket: BUCKET, prefixes: [], actions: ["get_object", "head_object", "put_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"] },
          { bucket: CLOSED_BUCKET, prefixes: [], actions: ["get_object", "head_object", "put_object"] },
          { bucket: PUBLIC_BUCKET, prefixes: [], actions: ["put_object"] },
        ],
      },
    ],
  };
}

/** Registers the suite under `label`. */
export function runBrowserSuite(label: string, runtime: BrowserRuntime): void {
  describe(`a browser (headless Chromium) as a client: ${label}`, () => {
    let gateway: { endpoint: string; close(): Promise<void> } | undefined;
    let pages: PageOrigins | undefined;
    let browser: Browser | undefined;
    let context: BrowserContext;
    // Screenshots stay after the run as evidence: <working directory>/test-results/browser/ (git-ignored).
    const artifacts = join(process.cwd(), "test-results", "browser");
    let app: string, foreign: string, reader: string, sdk: string;
    const opened = new Map<string, Page>();

    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) {
        throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y --no-install-recommends chromium`);
      }
      mkdirSync(artifacts, { recursive: true });
      pages = await startPageOrigins(4);
      [app, foreign, reader, sdk] = pages.origins as [string, string, string, string];
      gateway = await runtime.start(browserConfig(runtime, { app, reader, sdk }));
      // No proxy: Chromium on Linux would otherwise honour the environment's proxy variables, even for loopback.
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000, args: ["--no-proxy-server", "--disable-dev-shm-usage"] });
      context = await browser.newContext({ viewport: { width: 640, height: 320 } });
      context.setDefaultTimeout(10_000);
      context.setDefaultNavigationTimeout(10_000);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await pages?.close();
      await gateway?.close();
    });

    /** A page loaded from `origin` (one per origin, reused). */
    const pageAt = async (origin: string): Promise<Page> => {
      let page = opened.get(origin);
      if (!page) {
        page = await context.newPage();
        await page.goto(`${origin}/`);
        opened.set(origin, page);
      }
      return page;
    };
    const s3 = () => sdkClient(gateway!.endpoint, KEY);
    const presignGet = (key: string) => getSignedUrl(s3(), new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    const presignPut = (key: string, contentType: string) => getSignedUrl(s3(), new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentType: contentType }), { expiresIn: 300 });
    const body = "Hello from a browser, through Multistore.\n".repeat(4);

    it("uploads with a presigned PUT, reads it back with a presigned GET and as a range, and sees exposed headers only", async () => {
      const page = await pageAt(app);
      const key = "uploads/from chromium.txt";
      const contentType = "text/plain; charset=utf-8";
      const put = await pageFetch(page, await presignPut(key, contentType), { method: "PUT", headers: { "content-type": contentType }, body });
      expect([put.error, put.status]).toEqual([undefined, 200]);
      const head = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect([head.ContentType, head.ContentLength]).toEqual([contentType, body.length]);
      // ETag and the request id are readable only because the rule exposes them.
      expect(put.headers!["etag"]).toBe(head.ETag);
      expect(put.headers!["x-amz-request-id"]).toMatch(/\S/);

      const url = await presignGet(key);
      const get = await pageFetch(page, url);
      expect([get.error, get.status, get.text]).toEqual([undefined, 200, body]);
      expect([get.headers!["content-type"], get.headers!["etag"]]).toEqual([contentType, head.ETag]);
      // What the gateway sent (seen from Node, same Origin) against what the page may read: the safelisted and
      // exposed headers, nothing else — the browser filters the rest, the CORS headers themselves included.
      const sent = await fetch(url, { headers: { origin: app } });
      const sentNames = [...sent.headers.keys()];
      const readable = [...SAFELISTED, ...EXPOSED.map((name) => name.toLowerCase())];
      expect(Object.keys(get.headers!).sort()).toEqual(sentNames.filter((name) => readable.includes(name)).sort());
      expect(sentNames).toContain("access-control-allow-origin");
      expect(get.headers!["access-control-allow-origin"]).toBeUndefined();

      // A single "bytes=first-last" range is a CORS-safelisted header (Fetch; Chromium sends it without a preflight),
      // but the page sees Content-Range only because the rule exposes it.
      const range = await pageFetch(page, url, { headers: { range: "bytes=6-9" } });
      expect([range.error, range.status, range.text]).toEqual([undefined, 206, body.slice(6, 10)]);
      expect(range.headers!["content-range"]).toBe(`bytes 6-9/${body.length}`);
      // A suffix range ("the last 4 bytes", as format readers ask for a footer) is not: it is preflighted, and the
      // rule allows `range`.
      const suffix = await pageFetch(page, url, { headers: { range: "bytes=-4" } });
      expect([suffix.error, suffix.status, suffix.text]).toEqual([undefined, 206, body.slice(-4)]);
      expect(suffix.headers!["content-range"]).toBe(`bytes ${body.length - 4}-${body.length - 1}/${body.length}`);
    });

    it("preflights a suffix Range read, and fails it where the gateway's rule allows no request headers", async () => {
      await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: "reader.txt", Body: body }));
      const url = await presignGet("reader.txt");
      const page = await pageAt(reader);
      // Requests without a preflight pass: the reader's rule allows GET, and exposes nothing.
      const plain = await pageFetch(page, url);
      expect([plain.error, plain.status, plain.text]).toEqual([undefined, 200, body]);
      const simple = await pageFetch(page, url, { headers: { range: "bytes=0-3" } });
      expect([simple.error, simple.status, simple.text, simple.headers!["content-range"]]).toEqual([undefined, 206, body.slice(0, 4), undefined]);
      // The suffix range fails in the browser: the same GET passed above, so only its preflight, which asks for
      // `range`, can have been refused.
      const suffix = await pageFetch(page, url, { headers: { range: "bytes=-4" } });
      expect(suffix.error).toMatch(/^TypeError/);
      const preflight = await fetch(url, { method: "OPTIONS", headers: { origin: reader, "access-control-request-method": "GET", "access-control-request-headers": "range" } });
      expect([preflight.status, preflight.headers.get("access-control-allow-origin")]).toEqual([403, null]);
    });

    it("is blocked by the browser on an origin the gateway does not allow", async () => {
      await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: "private.txt", Body: body }));
      const url = await presignGet("private.txt");
      const page = await pageAt(foreign);
      const read = await pageFetch(page, url);
      expect(read.error).toMatch(/^TypeError/);
      // The gateway did answer (a simple GET is sent without a preflight), with no CORS headers: the browser,
      // following that answer, kept the body from the page.
      const sent = await fetch(url, { headers: { origin: foreign } });
      expect([sent.status, sent.headers.get("access-control-allow-origin"), await sent.text()]).toEqual([200, null, body]);
      // A PUT is preflighted; the gateway refuses the preflight, so the browser never sends the upload.
      const put = await pageFetch(page, await presignPut("foreign.txt", "text/plain"), { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" });
      expect(put.error).toMatch(/^TypeError/);
      await expect(s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: "foreign.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });

    it("lets the page read an error (404 NoSuchKey), since errors carry CORS headers too", async () => {
      const page = await pageAt(app);
      const missing = await pageFetch(page, await presignGet("no/such/key.txt"));
      expect([missing.error, missing.status, errorCode(missing.text ?? "")]).toEqual([undefined, 404, "NoSuchKey"]);
      expect(missing.headers!["x-amz-request-id"]).toMatch(/\S/);
    });

    it("shows the downloaded text on a page (screenshot as evidence)", async () => {
      await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: "shown.txt", Body: "Served by Multistore to Chromium." }));
      const page = await context.newPage();
      try {
        await page.goto(`${app}/show?src=${encodeURIComponent(await presignGet("shown.txt"))}`);
        await page.waitForSelector("body[data-done]");
        expect(await page.textContent("#text")).toBe("Served by Multistore to Chromium.");
        expect(await page.textContent("#status")).toMatch(/^HTTP 200, ETag "[0-9a-f]+"$/);
        const file = join(artifacts, `${label.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}-download.png`);
        rmSync(file, { force: true });
        await page.screenshot({ path: file });
        const png = readFileSync(file);
        expect(png.length).toBeGreaterThan(1000);
        expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
      } finally {
        await page.close();
      }
    });

    registerUploadTests({
      endpoint: () => gateway!.endpoint,
      pageAt,
      origins: () => ({ app, sdk }),
      key: KEY,
      buckets: { open: BUCKET, closed: CLOSED_BUCKET, public: PUBLIC_BUCKET },
    });
  });
}
