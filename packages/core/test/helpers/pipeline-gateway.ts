/**
 * The gateway the pipeline and middleware tests share: an anonymous `public` bucket, a `data` bucket, a reader key
 * limited to `data/ok/` and a copier key, memory backends, a fixed clock and the errors it reported.
 */
import { createGateway, type BackendFactory, type GatewayOptions } from "../../src/index.js";
import { bucket, credential, gatewayRequest } from "./memory-backend.js";
import { NOW, signWithHeader, type UnsignedRequest } from "./sign.js";

export const BUCKETS = [bucket("public", { anonymous_access: true }), bucket("data")];
export const CREDENTIALS = [
  credential("AKIDREADER", [{ bucket: "data", prefixes: ["ok/"], actions: ["get_object", "head_object", "list_bucket"] }]),
  credential("AKIDCOPIER", [{ bucket: "data", prefixes: [], actions: ["get_object", "put_object"] }]),
];
export const reader = { accessKeyId: "AKIDREADER", secretAccessKey: "AKIDREADER-secret" };

/** A gateway over BUCKETS and CREDENTIALS serving `memory` buckets from `backend`, reporting errors into `errors`. */
export function pipelineGateway(backend: BackendFactory<Uint8Array>, errors: unknown[], options: Partial<GatewayOptions<Uint8Array>> = {}) {
  return createGateway<Uint8Array>({
    buckets: { getBucket: (name) => BUCKETS.find((b) => b.name === name), listBuckets: () => BUCKETS },
    credentials: { getCredential: (id) => CREDENTIALS.find((c) => c.access_key_id === id) },
    backends: { memory: backend },
    now: () => NOW,
    onError: (error) => errors.push(error),
    ...options,
  });
}

/** A request signed (header SigV4) with the reader's key. */
export async function signed(request: UnsignedRequest) {
  const { target, headers } = await signWithHeader(reader, request);
  return gatewayRequest(request.method, target, headers);
}
