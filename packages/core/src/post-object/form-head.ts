/**
 * The head of a browser form upload (S3's POST Object): the multipart/form-data fields before the part named `file`,
 * and that part's own headers. The file's bytes are not read here: they stream to the backend (see `FormFileDecoder`).
 */
import { S3Error } from "../errors.js";

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
  /** The file part's own `Content-Type`, when it has one. */
  contentType?: string;
  /** Bytes from the body's start to the file's first byte. */
  length: number;
}

/** Latin-1 decoding keeps one character per byte: offsets found in the text are offsets in the bytes. */
const bytesAsText = new TextDecoder("latin1");
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

/** A part's headers: Content-Disposition's `name` and `filename`, and Content-Type. */
interface PartHeaders {
  name: string;
  filename?: string;
  contentType?: string;
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
  let contentType: string | undefined;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed("a part has a header line without a name.");
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name === "content-disposition") disposition = line.slice(colon + 1);
    else if (name === "content-type") contentType = line.slice(colon + 1).trim();
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
  return { name: fieldName, ...(filename !== undefined && { filename }), ...(contentType !== undefined && { contentType }) };
}

/**
 * Finds the form's head in the first bytes of its body: undefined while more bytes are needed. Throws
 * MaxPostPreDataLengthExceeded once `limit` bytes hold no file part, IncorrectNumberOfFilesInPostRequest when the form
 * ends without one, MalformedPOSTRequest for a body that is not multipart/form-data, and InvalidArgument for a field
 * sent twice.
 */
export function findFormHead(bytes: Uint8Array, boundary: string, limit: number): FormHead | undefined {
  const text = bytesAsText.decode(bytes);
  const delimiter = `--${boundary}`;
  const tooLarge = () => new S3Error("MaxPostPreDataLengthExceeded", { message: `Your POST request fields preceding the upload file were too large (over ${limit} bytes).` });
  const needMore = (): undefined => {
    if (bytes.length > limit) throw tooLarge();
    return undefined;
  };
  // Anything before the first delimiter is a preamble, ignored (RFC 2046).
  let position = text.startsWith(delimiter) ? 0 : text.indexOf(`\r\n${delimiter}`);
  if (position === -1) return needMore();
  if (position > 0) position += 2;
  const fields = new Map<string, FormField>();
  for (;;) {
    position += delimiter.length;
    if (text.length < position + 2) return needMore();
    if (text.startsWith("--", position)) throw new S3Error("IncorrectNumberOfFilesInPostRequest");
    // Transport padding (spaces and tabs) may follow a delimiter before its line ends.
    while (text[position] === " " || text[position] === "\t") position++;
    if (text.length < position + 2) return needMore();
    if (!text.startsWith("\r\n", position)) throw malformed("a boundary line does not end with CRLF.");
    const headersStart = position + 2;
    const headersEnd = text.indexOf("\r\n\r\n", headersStart);
    if (headersEnd === -1) return needMore();
    const part = parsePartHeaders(bytes.subarray(headersStart, headersEnd));
    const contentStart = headersEnd + 4;
    if (part.name.toLowerCase() === "file") {
      if (contentStart > limit) throw tooLarge();
      return {
        fields,
        ...(part.filename !== undefined && { filename: part.filename }),
        ...(part.contentType !== undefined && { contentType: part.contentType }),
        length: contentStart,
      };
    }
    const contentEnd = text.indexOf(`\r\n${delimiter}`, contentStart);
    if (contentEnd === -1) return needMore();
    let value: string;
    try {
      value = utf8Text.decode(bytes.subarray(contentStart, contentEnd));
    } catch {
      throw malformed(`the field "${part.name}" is not UTF-8.`);
    }
    const name = part.name.toLowerCase();
    if (fields.has(name)) throw new S3Error("InvalidArgument", { message: `The form field "${part.name}" appears more than once.`, details: { ArgumentName: part.name } });
    fields.set(name, { name: part.name, value });
    position = contentEnd + 2;
  }
}
