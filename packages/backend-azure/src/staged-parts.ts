/**
 * An upload's parts as Azure keeps them: the uncommitted blocks of the destination blob whose ids name the upload
 * (see block-ids.ts), grouped by part number. A part uploaded more than once has a block for each upload, and the
 * latest is the part (as on S3, where each upload of a part replaces the one before).
 */
import { S3Error } from "@multistore/core";
import { parseBlockId, type StagedBlock } from "./block-ids.js";

/** One block of an upload, with its size. */
export interface StagedPart extends StagedBlock {
  /** Size in bytes, as Azure lists it. */
  size: number;
}

/** The blocks of upload `uploadId` among a blob's uncommitted `blocks`, by part number. */
export function partsOfUpload(blocks: readonly { name: string; size: number }[], uploadId: string): Map<number, StagedPart[]> {
  const parts = new Map<number, StagedPart[]>();
  for (const block of blocks) {
    const staged = parseBlockId(block.name, uploadId);
    if (staged === undefined) continue;
    const part = { ...staged, size: block.size };
    const known = parts.get(staged.partNumber);
    if (known === undefined) parts.set(staged.partNumber, [part]);
    else known.push(part);
  }
  return parts;
}

/**
 * The blocks that may be a part's latest upload: those staged last, by the time their ids carry. Only when every
 * block of the part was staged by an earlier version (no time) are they all candidates.
 */
export function latestBlocks(blocks: readonly StagedPart[]): StagedPart[] {
  let latest = -1;
  for (const block of blocks) if (block.stagedAt !== undefined) latest = Math.max(latest, block.stagedAt.getTime());
  return latest === -1 ? [...blocks] : blocks.filter((block) => block.stagedAt?.getTime() === latest);
}

function sameTag(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/**
 * The block of a part holding `tag` (the ETag the client names; the latest such), or undefined when there is none.
 * An earlier upload of the part is taken too, where S3 would answer InvalidPart: the times that order uploads come
 * from the clocks of the gateways that staged them, and a retry landing on a gateway whose clock is behind would
 * otherwise refuse the only ETag its client holds. The tag pins the bytes, so nothing else is ever committed.
 */
export function blockWithTag(blocks: readonly StagedPart[] | undefined, tag: Uint8Array): StagedPart | undefined {
  const holding = (blocks ?? []).filter((block) => sameTag(block.tag, tag));
  return latestBlocks(holding)[0];
}

/**
 * The part's one latest block, for ListParts. Blocks that cannot be ordered and hold different bytes cannot be
 * listed truthfully: 501, as ListParts on az answered before, so that a client starts over rather than completing
 * with the wrong bytes. That is a part uploaded twice by an earlier build, which kept no times, or (never seen in
 * practice) twice within one millisecond by two gateways.
 */
export function latestBlock(partNumber: number, blocks: readonly StagedPart[]): StagedPart {
  const [first, ...others] = latestBlocks(blocks);
  if (first === undefined || others.some((block) => !sameTag(block.tag, first.tag))) {
    throw new S3Error("NotImplemented", { message: `Part ${partNumber} of this upload was uploaded more than once, and which upload is the latest is not known; upload part ${partNumber} again to list it.` });
  }
  return first;
}
