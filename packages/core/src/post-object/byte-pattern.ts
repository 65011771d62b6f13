/**
 * Finding a byte string in bytes: a form's delimiter (`\r\n--boundary`) in a file streaming through, or a part's end
 * in a form's head. Candidates start at the pattern's first byte (CR for both): found with the runtime's native
 * `indexOf` where they are sparse (most data: about one byte in 256), and by a plain loop where they are dense (a file
 * of CRs), so that neither costs a native call per byte. A comparison runs only while bytes match the pattern, and a
 * pattern whose first byte occurs nowhere else in it (the delimiter: a boundary holds no CR) cannot match across the
 * next candidate: the search is linear in the bytes searched, whatever the client sends. (A skip table in the manner
 * of Boyer–Moore–Horspool is faster on random data and quadratic on a file of the boundary's own characters.)
 */

/** How far a plain loop looks for the next candidate before handing the search back to `indexOf`. */
const LOOP_SPAN = 64;

/** A byte string to search for. */
export class BytePattern {
  /** The pattern's bytes. */
  readonly bytes: Uint8Array;

  constructor(text: string) {
    this.bytes = new TextEncoder().encode(text);
    if (this.bytes.length === 0) throw new RangeError("BytePattern: an empty pattern");
  }

  /** Where the pattern first occurs in `haystack` at or after `from`, or -1. */
  indexIn(haystack: Uint8Array, from = 0): number {
    const pattern = this.bytes;
    const first = pattern[0]!;
    const last = haystack.length - pattern.length;
    let at = haystack.indexOf(first, Math.max(0, from));
    while (at !== -1 && at <= last) {
      let index = 1;
      while (index < pattern.length && haystack[at + index] === pattern[index]) index++;
      if (index === pattern.length) return at;
      // The next candidate: within LOOP_SPAN bytes by a loop, else by `indexOf` from there.
      const stop = Math.min(at + 1 + LOOP_SPAN, last + 1);
      let next = at + 1;
      while (next < stop && haystack[next] !== first) next++;
      at = next < stop ? next : next > last ? -1 : haystack.indexOf(first, next);
    }
    return -1;
  }

  /** Whether the pattern occurs in `haystack` at exactly `at`. */
  isAt(haystack: Uint8Array, at: number): boolean {
    if (at < 0 || at + this.bytes.length > haystack.length) return false;
    for (let index = 0; index < this.bytes.length; index++) if (haystack[at + index] !== this.bytes[index]) return false;
    return true;
  }
}
