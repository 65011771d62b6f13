/**
 * The head of a browser form upload (S3's POST Object): the multipart/form-data fields before the part named `file`,
 * and that part's own headers. The file's bytes are not read here: they stream to the backend (see `FormFileDecoder`).
 */
import { S3Error } from "../errors.js";
import { BytePattern } from "./byte-pattern.js";

/** One form field: its name as sent and its value (UTF-8). */
export interface FormField {
  /** The field's name as sent (field names are matched without regard to case). */
  name: string;
  /** The field's value. */
  value: string;
}

/** A form's fields and its file part, up to the first byte of the file. */
export interface FormHead {
  /** Fields by lowercase name. */
  fields: Map<string, FormField>;
  /** The file part's `filename` parameter, when it has one. */
  filename?: string;
  /** Bytes from the body's start to the file's first byte. */
  length: number;
}

const utf8Text = new TextDecoder("utf-8", { fatal: true });

function malformed(message: string): S3Error {
  return new S3Error("MalformedPOSTRequest", { message: `The body of your POST request is not well-formed multipart/form-data: ${message}` });
}

/** A multipart/form-data Content-Type's boundary (RFC 2046: 1 to 70 characters), or undefined when it is none. */
export function formBoundaryOf(contentType: string | null): string | undefined {
  if (contentType === null) return undefined;
  const [type, ...parameters] = contentType.split(";");
  if (type!.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const parameter of parameters) {
    const equals = parameter.indexOf("=");
    if (equals === -1 || parameter.slice(0, equals).trim().toLowerCase() !== "boundary") continue;
    let value = parameter.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return /^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(value) && !value.endsWith(" ") ? value : undefined;
  }
  return undefined;
}

/** Whether a request's Content-Type is multipart/form-data (a form upload's, well-formed or not). */
export function isFormContentType(contentType: string | null): boolean {
  return contentType !== null && contentType.trimStart().toLowerCase().startsWith("multipart/form-data");
}

/** A part's Content-Disposition: its `name` and `filename`. */
interface PartHeaders {
  name: string;
  filename?: string;
}

/** Reads a Content-Disposition parameter value: quoted (browsers escape `"` as `%22`) or a token. */
function parameterValue(text: string): string {
  const value = text.trim();
  if (value.startsWith('"')) {
    const end = value.indexOf('"', 1);
    if (end === -1) throw malformed("a quoted parameter is not closed.");
    return value.slice(1, end);
  }
  return value;
}

function parsePartHeaders(bytes: Uint8Array): PartHeaders {
  let text: string;
  try {
    text = utf8Text.decode(bytes);
  } catch {
    throw malformed("a part's headers are not UTF-8.");
  }
  let disposition: string | undefined;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed("a part has a header line without a name.");
    if (line.slice(0, colon).trim().toLowerCase() === "content-disposition") disposition = line.slice(colon + 1);
  }
  if (disposition === undefined) throw malformed("a part has no Content-Disposition.");
  // `form-data; name="key"; filename="a.txt"`: split on the semicolons outside quotes.
  const parameters = disposition.match(/(?:[^;"]|"[^"]*")+/g) ?? [];
  if (parameters[0]?.trim().toLowerCase() !== "form-data") throw malformed("a part is not form-data.");
  let fieldName: string | undefined;
  let filename: string | undefined;
  for (const parameter of parameters.slice(1)) {
    const equals = parameter.indexOf("=");
    if (equals === -1) continue;
    const name = parameter.slice(0, equals).trim().toLowerCase();
    if (name === "name") fieldName = parameterValue(parameter.slice(equals + 1));
    else if (name === "filename") filename = parameterValue(parameter.slice(equals + 1));
  }
  if (fieldName === undefined) throw malformed("a part has no name.");
  return { name: fieldName, ...(filename !== undefined && { filename }) };
}

const CRLF_CRLF = new BytePattern("\r\n\r\n");

/**
 * Reads a form's head from the first bytes of its body as they grow: `read` with every byte so far, after each
 * chunk. It resumes where the last call stopped (each byte is searched once, whatever the chunking), and answers the
 * head once the file part's headers are complete. Throws MaxPostPreDataLengthExceeded once `limit` bytes hold no file
 * part, IncorrectNumberOfFilesInPostRequest when the form ends without one, MalformedPOSTRequest for a body that is
 * not multipart/form-data, and InvalidArgument for a field sent twice.
 */
export class FormHeadReader {
  /** `--boundary`: a part's first line. */
  private readonly delimiter: BytePattern;
  /** `\r\n--boundary`: a part's end. */
  private readonly partEnd: BytePattern;
  private readonly fields = new Map<string, FormField>();
  /** Where the next part's delimiter line starts, once the first was found. */
  private next = -1;
  /** The current part's headers, once its headers were read. */
  private part: { name: string; contentStart: number } | undefined;
  /** Where the pending search resumes (what it already searched holds no match). */
  private resume = 0;

  constructor(
    boundary: string,
    private readonly limit: number,
  ) {
    this.delimiter = new BytePattern(`--${boundary}`);
    this.partEnd = new BytePattern(`\r\n--${boundary}`);
  }

  private needMore(bytes: Uint8Array, searched: BytePattern | undefined): undefined {
    if (bytes.length > this.limit) throw tooLarge(this.limit);
    if (searched !== undefined) this.resume = Math.max(this.resume, bytes.length - searched.bytes.length + 1);
    return undefined;
  }

  /** The head, once `bytes` (every byte read so far, from the body's first) hold it; undefined while more are needed. */
  read(bytes: Uint8Array): FormHead | undefined {
    if (this.next === -1) {
      // Anything before the first delimiter is a preamble, ignored (RFC 2046).
      if (this.delimiter.isAt(bytes, 0)) this.next = 0;
      else {
        const found = this.partEnd.indexIn(bytes, this.resume);
        if (found === -1) return this.needMore(bytes, this.partEnd);
        this.next = found + 2;
        this.resume = 0;
      }
    }
    for (;;) {
      if (this.part === undefined) {
        // A part that starts (or, below, whose headers or value end) past the limit: no head fits, however the bytes
        // came (at once, or in chunks that stop at the limit).
        if (this.next > this.limit) throw tooLarge(this.limit);
        let position = this.next + this.delimiter.bytes.length;
        if (bytes.length < position + 2) return this.needMore(bytes, undefined);
        if (bytes[position] === 0x2d && bytes[position + 1] === 0x2d) throw new S3Error("IncorrectNumberOfFilesInPostRequest");
        // Transport padding (spaces and tabs) may follow a delimiter before its line ends.
        while (bytes[position] === 0x20 || bytes[position] === 0x09) position++;
        if (bytes.length < position + 2) return this.needMore(bytes, undefined);
        if (bytes[position] !== 0x0d || bytes[position + 1] !== 0x0a) throw malformed("a boundary line does not end with CRLF.");
        const headersStart = position + 2;
        const headersEnd = CRLF_CRLF.indexIn(bytes, Math.max(headersStart, this.resume));
        if (headersEnd === -1) return this.needMore(bytes, CRLF_CRLF);
        this.resume = 0;
        const contentStart = headersEnd + 4;
        if (contentStart > this.limit) throw tooLarge(this.limit);
        const headers = parsePartHeaders(bytes.subarray(headersStart, headersEnd));
        if (headers.name.toLowerCase() === "file") {
          return { fields: this.fields, ...(headers.filename !== undefined && { filename: headers.filename }), length: contentStart };
        }
        this.part = { name: headers.name, contentStart };
      }
      const { name, contentStart } = this.part;
      const contentEnd = this.partEnd.indexIn(bytes, Math.max(contentStart, this.resume));
      if (contentEnd === -1) return this.needMore(bytes, this.partEnd);
      if (contentEnd > this.limit) throw tooLarge(this.limit);
      this.resume = 0;
      let value: string;
      try {
        value = utf8Text.decode(bytes.subarray(contentStart, contentEnd));
      } catch {
        throw malformed(`the field "${name}" is not UTF-8.`);
      }
      const key = name.toLowerCase();
      if (this.fields.has(key)) throw new S3Error("InvalidArgument", { message: `The form field "${name}" appears more than once.`, details: { ArgumentName: name } });
      this.fields.set(key, { name, value });
      this.part = undefined;
      this.next = contentEnd + 2;
    }
  }
}

function tooLarge(limit: number): S3Error {
  return new S3Error("MaxPostPreDataLengthExceeded", { message: `Your POST request fields preceding the upload file were too large (over ${limit} bytes).` });
}
