/**
 * SHA-256 and HMAC-SHA256 for `@smithy/signature-v4` over node:crypto. The signer takes any hash constructor;
 * `@aws-crypto/sha256-js` (pure JavaScript, what the worker build's tests compare against) costs several times more
 * per presigned URL, and the Node server presigns one for every object request.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from "node:crypto";

/** What smithy feeds a hash: text or bytes. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

const MAX_CACHED_KEYS = 1024;
const keys = new Map<string, KeyObject>();

/**
 * The secret as a KeyObject, cached: smithy HMACs with the same derived signing key all day, and createHmac with
 * raw bytes re-imports them on every call (several times the cost of the HMAC itself).
 */
function keyOf(secret: SourceData): KeyObject {
  const bytes = bytesOf(secret);
  const id = bytes.toString("latin1");
  let key = keys.get(id);
  if (!key) {
    key = createSecretKey(bytes);
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value!);
    keys.set(id, key);
  }
  return key;
}

/** smithy's `Checksum`: SHA-256, or HMAC-SHA256 keyed with `secret` when one is given (as SigV4 asks). */
export class NodeSha256 {
  private hash: Hash | Hmac;

  /** Starts a SHA-256 (no secret) or an HMAC-SHA256 keyed with `secret`. */
  constructor(private readonly secret?: SourceData) {
    this.hash = this.start();
  }

  private start(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", keyOf(this.secret));
  }

  /** Adds data. */
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }

  /** The digest so far (the hash cannot be updated afterwards until `reset`). */
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  /** Starts over with the same secret. */
  reset(): void {
    this.hash = this.start();
  }
}
