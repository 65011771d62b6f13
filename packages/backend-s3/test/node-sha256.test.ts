/** The Node build's node:crypto hash for smithy gives exactly what `@aws-crypto/sha256-js` gives, hash and HMAC. */
import { Sha256 } from "@aws-crypto/sha256-js";
import { describe, expect, it } from "vitest";
import { NodeSha256 } from "../src/node-sha256.js";

const inputs: (string | Uint8Array | ArrayBuffer)[] = ["", "AWS4-HMAC-SHA256\n20300101T000000Z", "ünï cødé 😀", new Uint8Array([0, 1, 2, 255]), new Uint8Array(70_000).fill(7).buffer];

async function both(secret: string | Uint8Array | undefined, chunks: (string | Uint8Array | ArrayBuffer)[]) {
  const ours = new NodeSha256(secret);
  const reference = new Sha256(secret);
  for (const chunk of chunks) {
    ours.update(chunk);
    reference.update(chunk);
  }
  return [Buffer.from(await ours.digest()).toString("hex"), Buffer.from(await reference.digest()).toString("hex")];
}

describe("NodeSha256", () => {
  it("hashes like sha256-js, in one piece and in chunks", async () => {
    for (const input of inputs) {
      const [ours, reference] = await both(undefined, [input]);
      expect(ours).toBe(reference);
    }
    const [ours, reference] = await both(undefined, inputs);
    expect(ours).toBe(reference);
    expect(ours).not.toBe((await both(undefined, inputs.slice(0, -1)))[0]);
  });

  it("computes HMACs like sha256-js with string and byte secrets", async () => {
    for (const secret of ["AWS4secret", new Uint8Array(32).fill(9)]) {
      const [ours, reference] = await both(secret, ["20300101", "us-east-1"]);
      expect(ours).toBe(reference);
    }
  });

  it("starts over on reset, keeping the secret", async () => {
    const hash = new NodeSha256("key");
    hash.update("discarded");
    hash.reset();
    hash.update("kept");
    const [, reference] = await both("key", ["kept"]);
    expect(Buffer.from(await hash.digest()).toString("hex")).toBe(reference);
  });
});
