/** node:crypto as core's primitives: the pad-and-hash HMAC agrees with node's own HMAC on every kind of input. */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nodeCryptoPrimitives } from "../src/node-crypto.js";

const encoder = new TextEncoder();

describe("nodeCryptoPrimitives", () => {
  it("computes HMAC-SHA256 as node's createHmac does, for short, long, empty and non-ASCII messages and any key", async () => {
    const keys = [encoder.encode("AWS4secret"), new Uint8Array(32).fill(0xab), new Uint8Array(64).fill(1), new Uint8Array(100).fill(2)];
    const messages = ["", "AWS4-HMAC-SHA256\n20261205T120000Z\n20261205/us-east-1/s3/aws4_request\n" + "f".repeat(64), "é€😀 mixed", "x".repeat(4096), "y".repeat(5000), "\u0000\u00ff"];
    for (const raw of keys) {
      const key = await nodeCryptoPrimitives.importHmacKey(raw);
      for (const message of messages) {
        // Twice: the shared scratch buffers must hold nothing of the call before.
        for (let round = 0; round < 2; round++) {
          expect(await nodeCryptoPrimitives.hmacSha256Hex!(key, message)).toBe(createHmac("sha256", raw).update(message, "utf8").digest("hex"));
        }
      }
    }
  });

  it("hashes strings and bytes as node's createHash does", async () => {
    expect(await nodeCryptoPrimitives.sha256Hex!("é€ canonical\n")).toBe(createHash("sha256").update("é€ canonical\n").digest("hex"));
    expect(Buffer.from((await nodeCryptoPrimitives.sha256(encoder.encode("abc"))) as Uint8Array).toString("hex")).toBe(createHash("sha256").update("abc").digest("hex"));
  });
});
