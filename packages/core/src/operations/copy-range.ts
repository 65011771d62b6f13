/** The source bytes of a copy: `x-amz-copy-source-range`, checked against the source's size as S3 checks it. */
import { S3Error } from "../errors.js";
import type { CopyRange } from "../types.js";

/** S3's largest copy source (and so part) of one UploadPartCopy: 5 GiB. */
export const MAX_PART_COPY_BYTES = 5 * 1024 ** 3;

const RANGE_FORM = /^bytes=(\d{1,16})-(\d{1,16})$/;

/** Parses `x-amz-copy-source-range` (`bytes=first-last`, both offsets given, as S3 requires); undefined when absent. */
export function parseCopyRange(value: string | null): CopyRange | undefined {
  if (value === null) return undefined;
  const match = RANGE_FORM.exec(value.trim());
  const first = match ? Number(match[1]) : Number.NaN;
  const last = match ? Number(match[2]) : Number.NaN;
  if (!match || first > last) {
    throw new S3Error("InvalidArgument", {
      message: "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
      details: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: value },
    });
  }
  return { first, last };
}

/**
 * The bytes a part copy takes of a source of `size` bytes: its range, or the whole object. Throws S3's errors for a
 * range past the end and for more than 5 GiB. For backends: call it once the source's size is known.
 */
export function checkCopyRange(range: CopyRange | undefined, size: number): { start: number; end: number; length: number } {
  if (range !== undefined && range.last >= size) {
    throw new S3Error("InvalidArgument", {
      message: `Range specified is not valid for source object of size: ${size}`,
      details: { ArgumentName: "x-amz-copy-source-range", ArgumentValue: `bytes=${range.first}-${range.last}` },
    });
  }
  const start = range?.first ?? 0;
  const end = range?.last ?? size - 1;
  const length = end - start + 1;
  if (length > MAX_PART_COPY_BYTES) {
    throw new S3Error("InvalidRequest", { message: `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PART_COPY_BYTES}` });
  }
  return { start, end, length };
}
