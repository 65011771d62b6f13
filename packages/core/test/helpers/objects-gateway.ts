/**
 * Shared by the gateway's object-operation tests: buckets on two memory backends (two copy domains), credentials that
 * may delete, copy or write, and a fresh gateway over them for each test.
 */
import { createHash } from "node:crypto";
import { createGateway, type BackendTransport, type GatewayOptions, type GatewayResult } from "../../src/index.js";
import { parseXml } from "../../src/backend.js";
import { bucket, credential, gatewayRequest, MemoryBackend, text } from "./memory-backend.js";
import { awsEncode, NOW, signWithHeader, type Signer, type UnsignedRequest } from "./sign.js";

/** The buckets: `public` and `data` with backend prefixes, `other`, and `remote` in another copy domain. */
export const BUCKETS = [
  bucket("public", { anonymous_access: true, backend_prefix: "pub/" }),
  // No trailing "/": joined to keys with exactly one all the same (objects, copies, batch deletes, multipart).
  bucket("data", { backend_prefix: "tenant-a" }),
  bucket("other"),
  bucket("remote", { backend_options: { domain: "elsewhere" } }),
];
/** A deleter, a copier, a reader and a multipart writer, each scoped to what its tests need. */
export const CREDENTIALS = [
  credential("AKIDDELETER", [{ bucket: "data", prefixes: ["mine"], actions: ["delete_object"] }]),
  credential("AKIDCOPIER", [
    { bucket: "other", prefixes: ["src"], actions: ["get_object"] },
    { bucket: "data", prefixes: ["dst/"], actions: ["put_object"] },
    { bucket: "remote", prefixes: [], actions: ["get_object", "put_object"] },
  ]),
  credential("AKIDREADER", [{ bucket: "public", prefixes: [], actions: ["get_object", "get_object_version"] }]),
  credential("AKIDWRITER", [
    { bucket: "data", prefixes: [], actions: ["put_object", "get_object", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"] },
    { bucket: "remote", prefixes: [], actions: ["get_object"] },
  ]),
];

/** Signs as the credential `id` (its secret is `<id>-secret`). */
export const as = (id: string): Signer => ({ accessKeyId: id, secretAccessKey: `${id}-secret` });
/** The hex SHA-256 of a body, as `x-amz-content-sha256` carries it. */
export const sha256 = (body: string) => createHash("sha256").update(body).digest("hex");

/**
 * A gateway over fresh backends: `local` (holding a few objects) and `remote` (another copy domain); `transport`
 * streams copies between them when one answers with a forward dispatch.
 */
export function objectsGateway(transport?: BackendTransport<Uint8Array>, maxUploadBytes?: number, options: Partial<GatewayOptions<Uint8Array>> = {}) {
  const local = new MemoryBackend("memory");
  const remote = new MemoryBackend("elsewhere");
  local.put("src/k", "source bytes");
  local.put("tenant-a/dst/existing", "x");
  local.put("pub/index.html", "<html>");
  remote.put("r", "remote");
  const gateway = createGateway<Uint8Array>({
    buckets: { getBucket: (name) => BUCKETS.find((b) => b.name === name), listBuckets: () => BUCKETS },
    credentials: { getCredential: (id) => CREDENTIALS.find((c) => c.access_key_id === id) },
    backends: { memory: (config) => (config.backend_options.domain === "elsewhere" ? remote : local) },
    maxXmlBodyBytes: 64 * 1024,
    now: () => NOW,
    ...(transport && { transport }),
    ...(maxUploadBytes !== undefined && { maxUploadBytes }),
    ...options,
  });
  /** Handles `request`, signed with a header by `signer` (anonymous without one). */
  async function send(request: UnsignedRequest, signer?: Signer, body?: string) {
    if (!signer) {
      const query = Object.entries(request.query ?? {}).map(([name, value]) => `${awsEncode(name)}=${awsEncode(value)}`);
      const target = query.length > 0 ? `${request.path}?${query.join("&")}` : request.path;
      return gateway.handle(gatewayRequest(request.method, target, request.headers ?? {}, body));
    }
    const signed = await signWithHeader(signer, request);
    return gateway.handle(gatewayRequest(request.method, signed.target, signed.headers, body));
  }
  return { local, remote, send, gateway };
}

/** A gateway's response: status, headers, body and its parsed XML (none when the body is empty). */
export function response(result: GatewayResult<Uint8Array>) {
  if (result.type !== "response") throw new Error(`expected a response, got ${result.type}`);
  const body = text(result.response.body);
  return { status: result.response.status, headers: result.response.headers, body, root: body ? parseXml(body) : undefined };
}
