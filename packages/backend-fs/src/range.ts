/** Single byte-range requests (RFC 9110 section 14), as S3 serves them. */
import { S3Error } from "@multistore/core";

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against an object of `size` bytes. Returns undefined to serve the whole object: no header,
 * a syntactically invalid one, or several ranges (S3 ignores multi-range requests and answers 200). Throws
 * InvalidRange (416, with a Content-Range header giving the size) when the range starts beyond the end.
 */
export function parseRange(header: string | null, size: number): ByteRange | undefined {
  if (header === null) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "") {
    if (last === "") return undefined;
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable(size);
    // A suffix range of an empty object selects nothing; serving the (empty) whole object is the useful answer.
    if (size === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return undefined; // Invalid syntax per RFC 9110: ignore the header.
  if (start >= size) throw unsatisfiable(size);
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

function unsatisfiable(size: number): S3Error {
  return new S3Error("InvalidRange", {
    headers: { "content-range": `bytes */${size}` },
    details: { ActualObjectSize: String(size) },
  });
}
