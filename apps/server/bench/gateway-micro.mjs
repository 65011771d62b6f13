#!/usr/bin/env node
/**
 * The gateway's own CPU per request, without sockets: what the Node server does for a forwarded GET between
 * node:http handing it a request and undici sending the backend request, and again when the backend's headers
 * arrive (respond, finish, the request line). Steadier than a load test on a small machine; `pnpm bench` reports
 * the real thing. Usage: node bench/gateway-micro.mjs [iterations]
 */
import { createHash, createHmac } from "node:crypto";
import { createStaticRegistries } from "@multistore/config";
import { createGateway, useCryptoPrimitives } from "@multistore/core";
import { createHeaderRecord, HeaderMap } from "@multistore/core/runtime";
import { nodeBackends } from "../dist/backends.js";
import { nodeCryptoPrimitives } from "../dist/node-crypto.js";
import { createLogger, requestLogger } from "../dist/logger.js";

const iterations = Number(process.argv[2] ?? 200000);
useCryptoPrimitives(nodeCryptoPrimitives);
const backend = { endpoint: "http://127.0.0.1:9000", region: "us-east-1", bucket_name: "bucket", access_key_id: "AKIAORIGIN0000000001", secret_access_key: "origin-secret", force_path_style: "true" };
const key = { access_key_id: "AKIAPERF000000000001", secret_access_key: "perf-secret-0000000000000000000000000001" };
const config = {
  buckets: [
    { name: "pub", backend_type: "s3", anonymous_access: true, backend_options: backend },
    { name: "priv", backend_type: "s3", anonymous_access: false, backend_options: backend },
    { name: "raw", backend_type: "s3", anonymous_access: true, backend_options: { endpoint: backend.endpoint, region: "us-east-1", bucket_name: "bucket", skip_signature: "true", force_path_style: "true" } },
  ],
  roles: [],
  credentials: [{ ...key, principal_name: "perf", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "*", prefixes: [], actions: ["get_object"] }] }],
};
const registries = createStaticRegistries(config);
const gateway = createGateway({ buckets: registries.buckets, credentials: registries.credentials, backends: nodeBackends({}), serverTiming: true });
const sink = { write: () => true };
const log = requestLogger(createLogger("info", sink));

function presignedTarget(path) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const query = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`${key.access_key_id}/${scope}`)}&X-Amz-Date=${amzDate}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host`;
  const canonical = ["GET", path, query, "host:127.0.0.1:8080\n", "host", "UNSIGNED-PAYLOAD"].join("\n");
  const hmac = (k, d) => createHmac("sha256", k).update(d).digest();
  let signingKey = `AWS4${key.secret_access_key}`;
  for (const part of [amzDate.slice(0, 8), "us-east-1", "s3", "aws4_request"]) signingKey = hmac(signingKey, part);
  const signature = hmac(signingKey, `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).toString("hex");
  return `${path}?${query}&X-Amz-Signature=${signature}`;
}

function headerSigned(path) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const headers = { host: "127.0.0.1:8080", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amzDate };
  const names = Object.keys(headers).sort();
  const canonical = ["GET", path, "", names.map((name) => `${name}:${headers[name]}\n`).join(""), names.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
  const hmac = (k, d) => createHmac("sha256", k).update(d).digest();
  let signingKey = `AWS4${key.secret_access_key}`;
  for (const part of [amzDate.slice(0, 8), "us-east-1", "s3", "aws4_request"]) signingKey = hmac(signingKey, part);
  const signature = hmac(signingKey, `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).toString("hex");
  return ["Host", headers.host, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD", "X-Amz-Date", amzDate, "Authorization", `AWS4-HMAC-SHA256 Credential=${key.access_key_id}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`, "User-Agent", "aws-cli/2", "Accept", "*/*"];
}

let rawHeaders = ["Host", "127.0.0.1:8080", "User-Agent", "wrk", "Accept", "*/*"];
const backendHeaders = [
  ["content-type", "application/octet-stream"], ["content-length", "1024"], ["last-modified", "Thu, 04 Dec 2026 19:14:09 GMT"],
  ["connection", "keep-alive"], ["etag", '"6931e0a1-400"'], ["accept-ranges", "bytes"], ["server", "nginx"], ["date", "Thu, 04 Dec 2026 19:20:00 GMT"],
].flatMap(([name, value]) => [Buffer.from(name), Buffer.from(value)]);

function requestHeaders() {
  const record = createHeaderRecord();
  for (let index = 0; index < rawHeaders.length; index += 2) record[rawHeaders[index].toLowerCase()] = rawHeaders[index + 1];
  return HeaderMap.adopt(record);
}
function responseHeaders() {
  const record = createHeaderRecord();
  for (let index = 0; index < backendHeaders.length; index += 2) record[backendHeaders[index].toString("latin1").toLowerCase()] = backendHeaders[index + 1].toString("latin1");
  return HeaderMap.adopt(record);
}

async function once(target) {
  const result = await gateway.handle({ method: "GET", target, headers: requestHeaders(), body: null, readBody: async () => new Uint8Array() });
  if (result.type !== "forward") throw new Error(`expected a forward, got ${result.response?.status} ${result.response?.body}`);
  const answer = result.respond(200, responseHeaders(), 0.2);
  await result.finish({ status: answer.status, bytesSent: 1024 });
  log(result.context, { status: answer.status, bytesSent: 1024 });
}

const only = process.env.ONLY;
const anonymousHeaders = rawHeaders;
for (const [name, target, headers] of [["unsigned", "/raw/1k.bin"], ["anonymous", "/pub/1k.bin"], ["presigned", presignedTarget("/priv/1k.bin")], ["header-signed", "/priv/1k.bin", headerSigned("/priv/1k.bin")]]) {
  if (only && only !== name) continue;
  rawHeaders = headers ?? anonymousHeaders;
  for (let index = 0; index < 20000; index++) await once(target);
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) await once(target);
  const micros = Number(process.hrtime.bigint() - started) / iterations / 1000;
  console.log(`${name.padEnd(10)} ${micros.toFixed(2)} µs per request (gateway, presign, respond, finish, request line)`);
}
