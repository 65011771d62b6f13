/**
 * node:crypto as core's crypto primitives. WebCrypto on Node runs every digest and HMAC as a thread-pool job; the
 * synchronous hash functions with keys kept as KeyObjects cost a fraction of that on each signed request.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import type { CryptoPrimitives } from "@multistore/core";

/** SHA-256 and HMAC-SHA256 through node:crypto. */
export const nodeCryptoPrimitives: CryptoPrimitives = {
  sha256: (data) => createHash("sha256").update(data).digest(),
  importHmacKey: (raw) => createSecretKey(raw),
  hmacSha256: (key, data) => createHmac("sha256", key as KeyObject).update(data).digest(),
};
