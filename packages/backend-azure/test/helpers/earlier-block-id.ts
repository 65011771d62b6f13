/** Block ids as earlier builds of the backend made them, for the tests of reading them. */
import { toBase64 } from "@multistore/core/backend";

/** A block id of the layout before the staging time: the whole upload id, the part number, the tag. */
export function earlierBlockId(uploadId: string, partNumber: number, tag: Uint8Array): string {
  const bytes = new Uint8Array(36);
  bytes.set(Buffer.from(uploadId, "hex"), 0);
  new DataView(bytes.buffer).setUint32(16, partNumber);
  bytes.set(tag, 20);
  return toBase64(bytes);
}
