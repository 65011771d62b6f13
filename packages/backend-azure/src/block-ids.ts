/**
 * Block ids and part ETags of multipart uploads on Azure. Every part is a block staged on the destination blob, and
 * its id says which upload, which part and which bytes it holds, and when it was staged, so that the uncommitted
 * block list alone tells an upload's parts (ListParts) and which upload of a part is the latest (Azure keeps every
 * re-upload as its own block, and its block list has no documented order).
 *
 * Layout, 36 bytes (48 base64 characters; Azure wants the ids of one blob to be of equal length):
 * - 0–9: the upload id's first 10 bytes (80 random bits keep concurrent uploads of one key apart);
 * - 10–15: when the part's upload began, in milliseconds since 1970 (48 bits, big-endian);
 * - 16–19: the part number (big-endian), its top bit set when the tag is random rather than the part's MD5;
 * - 20–35: the tag (see `newPartTag`).
 *
 * Ids staged by earlier versions hold the whole upload id in bytes 0–15 and no time or MD5 flag. They are still read
 * (an upload begun before an upgrade completes after it), as parts of unknown age.
 */
import { fromBase64, fromHex, toBase64, toHex } from "@multistore/core/backend";

/** A part's tag and whether it is random (not the part's MD5). */
export interface PartTag {
  /** 16 bytes: the part's MD5, or random. */
  tag: Uint8Array;
  /** Whether the tag is random: Azure verified no MD5 of the part. */
  opaque: boolean;
}

/** One block of an upload, as its id describes it. */
export interface StagedBlock extends PartTag {
  /** The block id (base64), as Azure lists it. */
  id: string;
  /** Part number. */
  partNumber: number;
  /** When the part's upload began; undefined for ids of earlier versions, which do not say. */
  stagedAt?: Date;
}

const OPAQUE_FLAG = 0x80000000;

/**
 * A part's tag and the ETag UploadPart answers. With the client's Content-MD5 (which Azure verifies) the tag is that
 * MD5 and the ETag is S3's quoted hex MD5. Without it Azure computes no MD5 of a block (Put Block answers a CRC64),
 * so the tag is random and the ETag says so with an `az` prefix: S3 clients must not mistake it for an MD5.
 */
export function newPartTag(contentMd5: string | null): PartTag & { etag: string } {
  const md5 = contentMd5 === null ? undefined : fromBase64(contentMd5);
  if (md5?.length === 16) return { tag: md5, opaque: false, etag: partEtag({ tag: md5, opaque: false }) };
  const tag = crypto.getRandomValues(new Uint8Array(16));
  return { tag, opaque: true, etag: partEtag({ tag, opaque: true }) };
}

/** The ETag of a part with this tag, as UploadPart answered it. */
export function partEtag(part: PartTag): string {
  return `"${part.opaque ? "az" : ""}${toHex(part.tag)}"`;
}

/** The tag a part ETag carries (quotes optional), or undefined when it is not one UploadPart can have answered. */
export function tagOfPartEtag(etag: string): Uint8Array | undefined {
  const match = /^"?(?:az)?([0-9a-fA-F]{32})"?$/.exec(etag.trim());
  return match ? fromHex(match[1]!.toLowerCase()) : undefined;
}

let lastStagedAt = 0;

/**
 * The time a part's upload begins, in milliseconds: never the same twice in one process, so that of two uploads of
 * a part made one after the other here, the later is always the latest. (One counter for every upload: more than
 * one part a millisecond, sustained, would run it ahead of the clock, which no part size makes likely.)
 */
export function stagingTime(now = Date.now()): number {
  lastStagedAt = Math.max(now, lastStagedAt + 1);
  return lastStagedAt;
}

/** The block id of part `partNumber` of upload `uploadId` (32 hex digits), staged at `stagedAt` (milliseconds). */
export function blockId(uploadId: string, partNumber: number, part: PartTag, stagedAt: number): string {
  const bytes = new Uint8Array(36);
  const view = new DataView(bytes.buffer);
  bytes.set(fromHex(uploadId)!.subarray(0, 10), 0);
  view.setUint16(10, Math.floor(stagedAt / 2 ** 32) % 2 ** 16);
  view.setUint32(12, stagedAt % 2 ** 32);
  view.setUint32(16, (partNumber | (part.opaque ? OPAQUE_FLAG : 0)) >>> 0);
  bytes.set(part.tag, 20);
  return toBase64(bytes);
}

/** What block `id` says, when it is a part of upload `uploadId`; undefined for any other block. */
export function parseBlockId(id: string, uploadId: string): StagedBlock | undefined {
  const bytes = fromBase64(id);
  const upload = fromHex(uploadId);
  if (bytes?.length !== 36 || upload?.length !== 16) return undefined;
  for (let index = 0; index < 10; index++) if (bytes[index] !== upload[index]) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = bytes.slice(20, 36);
  const number = view.getUint32(16);
  // An earlier build's id carries the rest of the upload id where a time is now, and never the flag (its part numbers
  // are at most 10000). A time equal to those bytes by chance (2^-48) only makes a part's age unknown.
  let earlier = (number & OPAQUE_FLAG) === 0;
  for (let index = 10; index < 16 && earlier; index++) if (bytes[index] !== upload[index]) earlier = false;
  // Their tag may be an MD5 or random: the ETag shown is the `az` one, which CompleteMultipartUpload takes either way.
  if (earlier) return { id, partNumber: number, tag, opaque: true };
  const stagedAt = view.getUint16(10) * 2 ** 32 + view.getUint32(12);
  return { id, partNumber: number & ~OPAQUE_FLAG, tag, opaque: (number & OPAQUE_FLAG) !== 0, stagedAt: new Date(stagedAt) };
}
