/** S3 byte ranges (parsed by core) as R2 ranges. */
import type { ByteRange } from "@multistore/core/backend";
import type { R2Range } from "./r2-types.js";

/** The R2 range reading exactly `range`. */
export function toR2Range(range: ByteRange): R2Range {
  return { offset: range.start, length: range.end - range.start + 1 };
}
