/**
 * Core's own CRCs and its default checksum factories: published check values, the empty input, every length around
 * the slicing block sizes at unaligned offsets, digests independent of how a body is split into chunks, and equality
 * on random data with independent references (zlib's CRC-32, bit-at-a-time CRC-32C and CRC-64/NVME written here from
 * their definitions, node:crypto and @aws-crypto/sha256-js, the SHA-256 core used before).
 */
import { createHash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import { Sha256 } from "@aws-crypto/sha256-js";
import { describe, expect, it } from "vitest";
import { CHECKSUM_ALGORITHMS, DEFAULT_CHECKSUM_FACTORIES, type ChecksumAlgorithm } from "../src/checksums/algorithms.js";
import { createCrc32, createCrc32c } from "../src/checksums/crc32.js";
import { Crc64Nvme } from "../src/checksums/crc64-nvme.js";

const hex = (data: Uint8Array) => Buffer.from(data).toString("hex");
const hex32 = (value: number) => value.toString(16).padStart(8, "0");
const CHECK = new TextEncoder().encode("123456789");

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be replayed. */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[index] = state & 0xff;
  }
  return out;
}

/** `data` cut at pseudo-random points, empty pieces included. */
function randomSplit(data: Uint8Array, seed: number): Uint8Array[] {
  const cuts = randomBytes(64, seed);
  const pieces: Uint8Array[] = [];
  let offset = 0;
  for (let index = 0; offset < data.length; index++) {
    const size = index % 7 === 3 ? 0 : 1 + ((cuts[index % cuts.length]! * 37 + index * 101) % 300);
    pieces.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

/** Bit-at-a-time reflected CRC-32C, straight from the definition. */
function referenceCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Bit-at-a-time reflected CRC-64/NVME with BigInt, straight from the definition, as 16 hex digits. */
function referenceCrc64Nvme(data: Uint8Array): string {
  const mask = 0xffffffffffffffffn;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ 0x9a6c9329ac4bc9b5n : crc >> 1n;
  }
  return ((crc ^ mask) & mask).toString(16).padStart(16, "0");
}

async function awsSha256(data: Uint8Array): Promise<string> {
  const hash = new Sha256();
  hash.update(data);
  return hex(await hash.digest());
}

/** What each algorithm's digest must be, from a reference that shares no code with core. */
const REFERENCES: Record<ChecksumAlgorithm, (data: Uint8Array) => string> = {
  crc32: (data) => hex32(zlibCrc32(data)),
  crc32c: (data) => hex32(referenceCrc32c(data)),
  crc64nvme: referenceCrc64Nvme,
  sha1: (data) => createHash("sha1").update(data).digest("hex"),
  sha256: (data) => createHash("sha256").update(data).digest("hex"),
};

async function factoryDigest(algorithm: ChecksumAlgorithm, pieces: Uint8Array[]): Promise<string> {
  const hash = DEFAULT_CHECKSUM_FACTORIES[algorithm]();
  for (const piece of pieces) await hash.update(piece);
  return hex(await hash.digest());
}

describe("CRC check values", () => {
  it("CRC-32 of 123456789 is 0xCBF43926, CRC-32C 0xE3069283, CRC-64/NVME 0xAE8B14860A799888", () => {
    const crc32 = createCrc32();
    crc32.update(CHECK);
    expect(hex32(crc32.value())).toBe("cbf43926");
    const crc32c = createCrc32c();
    crc32c.update(CHECK);
    expect(hex32(crc32c.value())).toBe("e3069283");
    const crc64 = new Crc64Nvme();
    crc64.update(CHECK);
    expect(hex(crc64.digest())).toBe("ae8b14860a799888");
  });

  it("matches the CRC-32C examples of RFC 3720 (iSCSI) B.4", () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, index) => index);
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(32), "8a9136aa"],
      [new Uint8Array(32).fill(0xff), "62a8ab43"],
      [ascending, "46dd794e"],
      [ascending.slice().reverse(), "113fdb5c"],
    ];
    for (const [data, expected] of cases) {
      const crc = createCrc32c();
      crc.update(data);
      expect(hex32(crc.value())).toBe(expected);
    }
  });

  it("gives zero for the empty input, updated with nothing or with empty chunks", () => {
    const crc32 = createCrc32();
    crc32.update(new Uint8Array(0));
    expect(crc32.value()).toBe(0);
    expect(createCrc32c().value()).toBe(0);
    expect(hex(new Crc64Nvme().digest())).toBe("0000000000000000");
  });
});

describe("default checksum factories", () => {
  it.each(CHECKSUM_ALGORITHMS)("%s of the empty body matches the reference", async (algorithm) => {
    expect(await factoryDigest(algorithm, [])).toBe(REFERENCES[algorithm](new Uint8Array(0)));
    expect(await factoryDigest(algorithm, [new Uint8Array(0), new Uint8Array(0)])).toBe(REFERENCES[algorithm](new Uint8Array(0)));
  });

  it.each(CHECKSUM_ALGORITHMS)("%s matches the reference for every length up to 70 bytes at unaligned offsets", async (algorithm) => {
    const source = randomBytes(80, 7);
    for (let length = 0; length <= 70; length++) {
      const data = source.subarray(length % 5, (length % 5) + length);
      expect(await factoryDigest(algorithm, [data]), `length ${length}`).toBe(REFERENCES[algorithm](data));
    }
  });

  it.each(CHECKSUM_ALGORITHMS)("%s of 200 KB of random data matches the reference however the body is split", async (algorithm) => {
    const data = randomBytes(200_003, 42);
    const expected = REFERENCES[algorithm](data);
    expect(await factoryDigest(algorithm, [data])).toBe(expected);
    for (const seed of [1, 2, 3]) expect(await factoryDigest(algorithm, randomSplit(data, seed)), `split ${seed}`).toBe(expected);
  });

  it("sha256 matches @aws-crypto/sha256-js, the implementation core used before", async () => {
    for (const length of [0, 55, 56, 64, 1000, 65_537]) {
      const data = randomBytes(length, length + 9);
      expect(await factoryDigest("sha256", randomSplit(data, length))).toBe(await awsSha256(data));
    }
  });

  it("keeps separate state per hash, so concurrent bodies do not mix", async () => {
    const first = DEFAULT_CHECKSUM_FACTORIES.crc32c();
    const second = DEFAULT_CHECKSUM_FACTORIES.crc32c();
    await first.update(CHECK);
    await second.update(CHECK.subarray(0, 4));
    await second.update(CHECK.subarray(4));
    expect(hex(await first.digest())).toBe("e3069283");
    expect(hex(await second.digest())).toBe("e3069283");
  });
});
