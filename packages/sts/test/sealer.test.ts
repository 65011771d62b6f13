/** Sealed session tokens: round trip, tampering, expiry, key rotation, foreign keys; and the resolver over them. */
import { describe, expect, it } from "vitest";
import { S3Error } from "@multistore/core";
import { createSessionTokenResolver, createSessionTokenSealer, generateSessionTokenKey, parseSessionTokenKeys, type SealedCredential } from "../src/index.js";

const KEY_A = generateSessionTokenKey();
const KEY_B = generateSessionTokenKey();

function credential(overrides: Partial<SealedCredential> = {}): SealedCredential {
  return {
    accessKeyId: "STSPRXYABCDEFGHIJKLM",
    secretAccessKey: "s3cr3t/with+chars=",
    principalName: "assumed-role/reader/session",
    expiresAt: new Date(Date.now() + 3_600_000),
    scopes: [{ bucket: "data", prefixes: ["users/alice/"], actions: ["get_object", "list_bucket"] }],
    roleId: "reader",
    subject: "alice",
    ...overrides,
  };
}

const toBytes = (token: string) => Buffer.from(token, "base64url");
const fromBytes = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

describe("session token sealer", () => {
  it("round-trips every field of the credential", async () => {
    const sealer = createSessionTokenSealer({ keys: [KEY_A] });
    const original = credential();
    const token = await sealer.seal(original);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain("alice");
    expect(await sealer.unseal(token)).toEqual(original);
  });

  it("uses a fresh nonce for every token (same credential, different tokens)", async () => {
    const sealer = createSessionTokenSealer({ keys: [KEY_A] });
    const original = credential();
    const [one, two] = [await sealer.seal(original), await sealer.seal(original)];
    expect(one).not.toBe(two);
    expect(toBytes(one).subarray(0, 12).equals(toBytes(two).subarray(0, 12))).toBe(false);
  });

  it("refuses the token after any byte is changed (nonce, ciphertext or tag)", async () => {
    const sealer = createSessionTokenSealer({ keys: [KEY_A] });
    const bytes = toBytes(await sealer.seal(credential()));
    for (let index = 0; index < bytes.length; index++) {
      const tampered = Uint8Array.from(bytes);
      tampered[index]! ^= 0x01;
      expect(await sealer.unseal(fromBytes(tampered)), `byte ${index}`).toBeUndefined();
    }
    expect(await sealer.unseal(fromBytes(bytes.subarray(0, bytes.length - 1)))).toBeUndefined();
    expect(await sealer.unseal(fromBytes(Buffer.concat([bytes, Buffer.from([0])])))).toBeUndefined();
  });

  it("refuses malformed tokens: other alphabets, non-canonical spellings, too short, huge", async () => {
    const sealer = createSessionTokenSealer({ keys: [KEY_A] });
    const token = await sealer.seal(credential());
    // (A character of the other base64 alphabet put in place of one: a token holding no "-" to swap, about one in a
    // hundred, made the swapped spelling the token itself, and the test fail.)
    const otherAlphabet = `${token.slice(0, 10)}+${token.slice(11)}`;
    for (const bad of ["", "not a token", `${token}=`, otherAlphabet, "AAAA", "A".repeat(70_000), "FwoGZXIvYXdzEJr//////////wEaDEXAMPLE"]) {
      expect(await sealer.unseal(bad)).toBeUndefined();
    }
  });

  it("rotates keys: the first key seals, every listed key unseals", async () => {
    const old = createSessionTokenSealer({ keys: [KEY_A] });
    const rotated = createSessionTokenSealer({ keys: [KEY_B, KEY_A] });
    const oldToken = await old.seal(credential());
    expect((await rotated.unseal(oldToken))?.subject).toBe("alice");
    const newToken = await rotated.seal(credential({ subject: "bob" }));
    expect(await old.unseal(newToken)).toBeUndefined();
    expect((await createSessionTokenSealer({ keys: [KEY_B] }).unseal(newToken))?.subject).toBe("bob");
  });

  it("refuses tokens sealed with a key it does not hold", async () => {
    const token = await createSessionTokenSealer({ keys: [KEY_A] }).seal(credential());
    expect(await createSessionTokenSealer({ keys: [KEY_B] }).unseal(token)).toBeUndefined();
  });

  it("validates keys up front without echoing them", () => {
    expect(() => createSessionTokenSealer({ keys: [] })).toThrow(/at least one key/);
    const short = Buffer.alloc(16, 7).toString("base64");
    expect(() => createSessionTokenSealer({ keys: [short] })).toThrow(/key 1 is not base64 of 32 bytes/);
    expect(() => createSessionTokenSealer({ keys: [KEY_A, "not base64!"] })).toThrow(/key 2/);
    try {
      createSessionTokenSealer({ keys: [short] });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => createSessionTokenSealer({ keys: [Buffer.alloc(32, 1).toString("base64url")] })).not.toThrow();
  });

  it("parses SESSION_TOKEN_KEY lists", () => {
    expect(parseSessionTokenKeys(undefined)).toEqual([]);
    expect(parseSessionTokenKeys("")).toEqual([]);
    expect(parseSessionTokenKeys(` ${KEY_A} , ${KEY_B},`)).toEqual([KEY_A, KEY_B]);
  });
});

describe("session token resolver", () => {
  const sealer = createSessionTokenSealer({ keys: [KEY_A] });

  it("resolves a sealed credential", async () => {
    const resolver = createSessionTokenResolver(sealer);
    const resolved = await resolver.resolve(await sealer.seal(credential()));
    expect(resolved).toMatchObject({ accessKeyId: "STSPRXYABCDEFGHIJKLM", roleId: "reader", scopes: credential().scopes });
  });

  it("refuses tampered and foreign tokens with 403 InvalidToken", async () => {
    const resolver = createSessionTokenResolver(sealer);
    const foreign = await createSessionTokenSealer({ keys: [KEY_B] }).seal(credential());
    for (const token of [foreign, "garbage"]) {
      const error = await resolver.resolve(token).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(S3Error);
      expect(error).toMatchObject({ code: "InvalidToken", status: 403 });
    }
  });

  it("refuses expired credentials with ExpiredToken", async () => {
    const token = await sealer.seal(credential({ expiresAt: new Date(1_000_000) }));
    await expect(createSessionTokenResolver(sealer, { now: () => 999_999 }).resolve(token)).resolves.toBeDefined();
    await expect(createSessionTokenResolver(sealer, { now: () => 1_000_000 }).resolve(token)).rejects.toMatchObject({ code: "ExpiredToken" });
    await expect(createSessionTokenResolver(sealer).resolve(token)).rejects.toMatchObject({ code: "ExpiredToken" });
  });
});
