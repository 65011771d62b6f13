/** Object response helpers every native backend needs: byte ranges and `response-*` overrides, as S3 serves them. */
import { S3Error } from "./errors.js";
import { headerValueOf } from "./header-text.js";

/** A range as the client asked for it, before the object's size is known. */
export type RequestedRange = { offset: number; length?: number } | { suffix: number };

/** An inclusive byte range within an object. */
export interface ByteRange {
  /** First byte. */
  start: number;
  /** Last byte (inclusive). */
  end: number;
}

/**
 * Parses a Range header (RFC 9110 section 14). Returns undefined to serve the whole object: no header, a
 * syntactically invalid one, or several ranges (S3 ignores multi-range requests and answers 200). `bytes=-0` is
 * `"unsatisfiable"` whatever the size.
 */
export function parseRangeHeader(header: string | null): RequestedRange | "unsatisfiable" | undefined {
  if (header === null) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "") {
    if (last === "") return undefined;
    const suffix = Number(last);
    return suffix === 0 ? "unsatisfiable" : { suffix };
  }
  const offset = Number(first);
  if (last === "") return { offset };
  if (Number(last) < offset) return undefined; // Invalid syntax per RFC 9110: ignore the header.
  return { offset, length: Number(last) - offset + 1 };
}

/** InvalidRange (416) for an object of `size` bytes, with the Content-Range S3 sends. */
export function invalidRange(size: number): S3Error {
  return new S3Error("InvalidRange", {
    headers: { "content-range": `bytes */${size}` },
    details: { ActualObjectSize: String(size) },
  });
}

/**
 * The bytes a range selects in an object of `size` bytes; undefined to serve the whole object (a suffix range of
 * an empty object selects nothing, and the empty whole object is the useful answer). Throws InvalidRange when the
 * range starts beyond the end.
 */
export function resolveRange(range: RequestedRange | "unsatisfiable" | undefined, size: number): ByteRange | undefined {
  if (range === undefined) return undefined;
  if (range === "unsatisfiable") throw invalidRange(size);
  if ("suffix" in range) {
    if (size === 0) return undefined;
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.offset >= size) throw invalidRange(size);
  const end = range.length === undefined ? size - 1 : Math.min(range.offset + range.length, size) - 1;
  return { start: range.offset, end };
}

/** Headers GetObject's `response-*` query parameters may override. */
const OVERRIDABLE = ["content-type", "content-disposition", "cache-control", "content-encoding", "content-language", "expires"];

/** Applies `response-content-type` & co. to `headers`, as UTF-8 (what S3 sends for text past ASCII). */
export function applyResponseOverrides(headers: Headers, overrides: Record<string, string> | undefined): void {
  if (overrides === undefined) return;
  for (const name of OVERRIDABLE) {
    const value = overrides[`response-${name}`];
    if (value !== undefined) headers.set(name, headerValueOf(value));
  }
}
