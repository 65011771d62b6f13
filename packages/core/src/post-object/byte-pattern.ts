/**
 * Finding a byte string in bytes (Boyer–Moore–Horspool): a form's delimiter in a file streaming through, or a part's
 * end in its head. Each step looks at the byte under the pattern's end and skips by how far that byte is from it, so
 * data that repeats the pattern's first byte (a file of CRs) costs no more than any other.
 */
export class BytePattern {
  /** The pattern's bytes. */
  readonly bytes: Uint8Array;
  private readonly skip = new Uint8Array(256);

  constructor(text: string) {
    this.bytes = new TextEncoder().encode(text);
    const length = this.bytes.length;
    if (length === 0 || length > 255) throw new RangeError("BytePattern: 1 to 255 bytes");
    this.skip.fill(length);
    for (let index = 0; index < length - 1; index++) this.skip[this.bytes[index]!] = length - 1 - index;
  }

  /** Where the pattern first occurs in `haystack` at or after `from`, or -1. */
  indexIn(haystack: Uint8Array, from = 0): number {
    const pattern = this.bytes;
    const last = pattern.length - 1;
    for (let at = Math.max(0, from); at + last < haystack.length; at += this.skip[haystack[at + last]!]!) {
      let index = last;
      while (index >= 0 && haystack[at + index] === pattern[index]) index--;
      if (index < 0) return at;
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
