/** SigV4 for the bench's clients (node:crypto): presigned GET URLs and header-signed GET headers, path style. */
import { createHash, createHmac } from "node:crypto";

const encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();

function scopeOf(key, amzDate, region) {
  const date = amzDate.slice(0, 8);
  let signingKey = `AWS4${key.secretAccessKey}`;
  for (const part of [date, region, "s3", "aws4_request"]) signingKey = hmac(signingKey, part);
  return { scope: `${date}/${region}/s3/aws4_request`, signingKey };
}

function amzDateNow() {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** A presigned URL (`method` on `endpoint` + `path`, path already encoded), valid `expires` seconds. */
export function presignUrl(endpoint, path, key, { method = "GET", expires = 3600, region = "us-east-1" } = {}) {
  const url = new URL(endpoint);
  const amzDate = amzDateNow();
  const { scope, signingKey } = scopeOf(key, amzDate, region);
  const params = { "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": `${key.accessKeyId}/${scope}`, "X-Amz-Date": amzDate, "X-Amz-Expires": String(expires), "X-Amz-SignedHeaders": "host" };
  const query = Object.keys(params).sort().map((name) => `${encode(name)}=${encode(params[name])}`).join("&");
  const canonical = [method, path, query, `host:${url.host}\n`, "host", "UNSIGNED-PAYLOAD"].join("\n");
  const signature = hmac(signingKey, `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).toString("hex");
  return `${url.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}

/** Headers of a header-signed GET of `path` (valid for 15 minutes of clock skew, so wrk can replay them). */
export function signedHeaders(endpoint, path, key, { region = "us-east-1", extra = {} } = {}) {
  const url = new URL(endpoint);
  const amzDate = amzDateNow();
  const { scope, signingKey } = scopeOf(key, amzDate, region);
  const headers = { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amzDate, ...extra };
  const names = Object.keys(headers).sort();
  const canonical = ["GET", path, "", names.map((name) => `${name}:${headers[name]}\n`).join(""), names.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
  const signature = hmac(signingKey, `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`).toString("hex");
  const { host: _host, ...sent } = headers;
  return { ...sent, authorization: `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}` };
}
