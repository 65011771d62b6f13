/**
 * Installed crypto primitives (what the Node server does with node:crypto) verify the same signatures as WebCrypto,
 * are the ones actually used, and never meet a key imported by other primitives.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createGateway, useCryptoPrimitives, type CryptoPrimitives, type GatewayResult } from "../src/index.js";
import { bucket, credential, gatewayRequest, MemoryBackend } from "./helpers/memory-backend.js";
import { NOW, signWithHeader } from "./helpers/sign.js";

const reader = { accessKeyId: "AKIDCRYPTO", secretAccessKey: "AKIDCRYPTO-secret" };

function counting(): CryptoPrimitives & { calls: number } {
  const primitives = {
    calls: 0,
    sha256(data: Uint8Array) {
      primitives.calls++;
      return createHash("sha256").update(data).digest();
    },
    importHmacKey(raw: Uint8Array) {
      primitives.calls++;
      return createSecretKey(raw);
    },
    hmacSha256(key: object, data: Uint8Array) {
      primitives.calls++;
      return createHmac("sha256", key as KeyObject).update(data).digest();
    },
  };
  return primitives;
}

function gateway() {
  const backend = new MemoryBackend();
  backend.put("file", "content");
  return createGateway<Uint8Array>({
    buckets: { getBucket: (name) => (name === "data" ? bucket("data") : undefined), listBuckets: () => [bucket("data")] },
    credentials: { getCredential: (id) => (id === reader.accessKeyId ? credential(reader.accessKeyId, [{ bucket: "data", prefixes: [], actions: ["get_object"] }]) : undefined) },
    backends: { memory: () => backend },
    now: () => NOW,
  });
}

async function status(secret = reader.secretAccessKey): Promise<number> {
  const { target, headers } = await signWithHeader({ ...reader, secretAccessKey: secret }, { method: "GET", path: "/data/file" });
  const result: GatewayResult<Uint8Array> = await gateway().handle(gatewayRequest("GET", target, headers));
  if (result.type === "native") return (await result.execute(null, new AbortController().signal)).status;
  return result.type === "response" ? result.response.status : 0;
}

afterEach(() => useCryptoPrimitives());

describe("crypto primitives", () => {
  it("verify with WebCrypto by default, then with installed primitives, never reusing the other's keys", async () => {
    expect(await status()).toBe(200);
    const installed = counting();
    useCryptoPrimitives(installed);
    // The WebCrypto key cached by the first request is of another kind: a reuse would throw inside createHmac.
    expect(await status()).toBe(200);
    expect(installed.calls).toBeGreaterThanOrEqual(7);
    const afterFirst = installed.calls;
    expect(await status()).toBe(200);
    // A cached signing key: one digest and one HMAC per request.
    expect(installed.calls - afterFirst).toBe(2);
    // Installing the same primitives again keeps the cached keys.
    useCryptoPrimitives(installed);
    expect(await status()).toBe(200);
    expect(installed.calls - afterFirst).toBe(4);
    expect(await status("not-the-secret")).toBe(403);
    const beforeUninstall = installed.calls;
    useCryptoPrimitives();
    expect(await status()).toBe(200);
    expect(installed.calls).toBe(beforeUninstall);
  });
});
