/** The misbehaving origin and stalled clients of the hardening tests. */
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type Server } from "node:http";

export const KEY = { accessKeyId: "AKIAHARDENING000001", secretAccessKey: "hardening-secret-000000000000000000001" };
export const ALL = ["get_object", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part"];
export const IDLE_MS = 1000;

const EMPTY_LISTING = '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>hold</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>';

/** An origin whose misbehaviour the tests choose; it counts the responses it still has open. */
export function origin() {
  let open = 0;
  // Listings of prefix `hold`, answered when the test says so.
  const held: { answer: () => void }[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    open++;
    response.on("close", () => open--);
    const path = request.url!.split("?")[0]!;
    if (request.url!.includes("prefix=hold")) {
      held.push({ answer: () => response.writeHead(200, { "content-type": "application/xml" }).end(EMPTY_LISTING) });
    } else if (request.method === "PUT") {
      request.resume();
      request.on("end", () => response.writeHead(200, { etag: '"put"' }).end());
      request.on("error", () => undefined);
    } else if (path.endsWith("/big")) {
      response.writeHead(200, { "content-length": String(1 << 30) });
      const chunk = Buffer.alloc(65536, 98);
      const pump = () => {
        while (response.write(chunk));
      };
      response.on("drain", pump);
      pump();
    } else if (path.endsWith("/silent")) {
      // Accepts and never answers.
    } else if (path.endsWith("/stall-mid")) {
      response.writeHead(200, { "content-length": "100000" });
      response.write(Buffer.alloc(1000, 99));
    } else if (path.includes("list-fails") || request.url!.includes("list-type")) {
      response.writeHead(500, { "content-type": "application/xml" }).end("<Error><Code>InternalError</Code><Message>backend broke</Message></Error>");
    } else {
      response.writeHead(200, { "content-length": "2", etag: '"ok"' }).end("ok");
    }
  });
  return { server, open: () => open, held: () => held.length, answerHeld: () => held.splice(0).forEach((listing) => listing.answer()) };
}

/** A GET whose response is never read: it stays paused until destroyed. */
export function stalledGet(url: string): Promise<{ request: ClientRequest; status: number }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent: false }, (response) => {
      response.pause();
      resolve({ request, status: response.statusCode ?? 0 });
    });
    request.on("error", reject);
    request.end();
  });
}

/** A PUT that declares 1 MiB, sends 10 bytes and goes silent. */
export function stalledPut(url: string): { request: ClientRequest; closed: Promise<void> } {
  const request = httpRequest(url, { method: "PUT", agent: false, headers: { "content-length": String(1 << 20) } });
  request.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => request.once("close", () => resolve()));
  request.write(Buffer.alloc(10, 97));
  return { request, closed };
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}
