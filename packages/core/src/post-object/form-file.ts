/**
 * The file of a browser form upload, cut out of the rest of its multipart body as it streams: the gateway read the
 * form's head (the fields), and the backend is told the file's length, computed from the body's Content-Length. The
 * file must be the form's last part: its closing boundary is checked before the file's last byte is released, so a
 * form that does not end as computed never completes at the backend (no partial or wrong object). The file is also
 * searched for the form's delimiter, which cannot occur inside a part (RFC 2046): found there, the file ended early and
 * parts follow it, which the computed length would have stored as part of the object.
 */
import { S3Error } from "../errors.js";
import { BytePattern } from "./byte-pattern.js";

/** Where the file lies in what remains of a form upload's body once its head was read. */
export interface FormFileFraming {
  /** The file's length in bytes. */
  length: number;
  /** The form's boundary (without the leading `--`). */
  boundary: string;
}

/** What follows the file: its closing delimiter, then the line's end. */
function formTrailer(boundary: string): string {
  return `\r\n--${boundary}--\r\n`;
}

/** The bytes of a form upload's body after its head that are not the file (its closing delimiter line). */
export function formTrailerLength(boundary: string): number {
  return boundary.length + 8;
}

function notLastPart(): S3Error {
  return new S3Error("MalformedPOSTRequest", {
    message: "The body of your POST request is not well-formed multipart/form-data: the file must be the form's last part, followed by its closing boundary (--boundary--).",
  });
}

/** Incremental cutter: `push` the body's bytes after the form's head, send what it returns, then `finish`. */
export class FormFileDecoder {
  private readonly trailer: Uint8Array;
  /** `\r\n--boundary`: where a part ends. */
  private readonly delimiter: BytePattern;
  /** The file's last bytes seen (fewer than the delimiter's), for a delimiter split between two pushes. */
  private tail = new Uint8Array(0);
  private seen = 0;
  private trailerSeen = 0;
  /** The file's last byte, held until the trailer is checked. */
  private held: Uint8Array | undefined;

  constructor(private readonly framing: FormFileFraming) {
    this.trailer = new TextEncoder().encode(formTrailer(framing.boundary));
    this.delimiter = new BytePattern(`\r\n--${framing.boundary}`);
  }

  /** Throws when the file's bytes (after those seen before) hold the form's delimiter. */
  private searchDelimiter(file: Uint8Array): void {
    const delimiter = this.delimiter;
    const keep = delimiter.bytes.length - 1;
    // Across the previous push's end: the tail and the first bytes of this one.
    const joined = new Uint8Array(this.tail.length + Math.min(file.length, keep));
    joined.set(this.tail);
    joined.set(file.subarray(0, keep), this.tail.length);
    if (delimiter.indexIn(joined) !== -1 || delimiter.indexIn(file) !== -1) throw notLastPart();
    this.tail = file.length >= keep ? file.slice(file.length - keep) : joined.slice(Math.max(0, joined.length - keep));
  }

  /** The file's bytes in `bytes` that may be sent on now. */
  push(bytes: Uint8Array): Uint8Array[] {
    const { length } = this.framing;
    const out: Uint8Array[] = [];
    let offset = 0;
    if (this.seen < length) {
      const take = Math.min(bytes.length, length - this.seen);
      this.seen += take;
      const file = bytes.subarray(0, take);
      this.searchDelimiter(file);
      offset = take;
      if (this.seen === length) {
        if (file.length > 1) out.push(file.subarray(0, -1));
        this.held = file.subarray(file.length - 1);
      } else if (file.length > 0) out.push(file);
    }
    for (; offset < bytes.length; offset++) {
      if (this.trailerSeen >= this.trailer.length || bytes[offset] !== this.trailer[this.trailerSeen]) throw notLastPart();
      this.trailerSeen++;
    }
    return out;
  }

  /** After the body's last byte: the file's held-back last byte, once the form ended as it should. */
  finish(): Uint8Array[] {
    if (this.seen < this.framing.length) throw new S3Error("IncompleteBody", { message: "The form upload's body ended before its file did." });
    if (this.trailerSeen !== this.trailer.length) throw notLastPart();
    return this.held === undefined ? [] : [this.held];
  }
}

