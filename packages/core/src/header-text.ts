/**
 * Header values past ASCII. Text that becomes a request header without passing an HTTP parser (a form field, a
 * parameter a presigner moved into a URL's query) is held to what a header can carry, and sent past ASCII as S3 keeps
 * such metadata; a header value is read as the text its client sent, and written so that its UTF-8 bytes go out.
 */
import { toBase64, utf8 } from "./encoding.js";
import { S3Error } from "./errors.js";
import { HeaderMap } from "./header-map.js";

/** Control characters other than HTAB (what is neither HTAB, printable ASCII nor past ASCII): a header cannot carry them. */
const CONTROL = /[^\t\u0020-\u007e\u0080-\uffff]/;
/** Anything past ASCII: sent as RFC 2047 (`=?UTF-8?B?…?=`), as S3 keeps and returns non-ASCII metadata. */
const NOT_ASCII = /[\u0080-\uffff]/;
/** A character no byte is: the value is text, not bytes one character each. */
const PAST_LATIN1 = /[\u0100-\uffff]/;
/** A header name as HTTP allows it (a token), in lowercase. */
const NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * `value` as a header carries it, or `400 InvalidArgument` naming `argument` (described as `what`) when no header can
 * carry it.
 */
export function headerText(value: string, argument: string, what = `"${argument}"`): string {
  checkCarriable(value, argument, what);
  return NOT_ASCII.test(value) ? encodedWord(value) : value;
}

/** `400 InvalidArgument` naming `argument` (described as `what`) when no header can carry `value`. */
function checkCarriable(value: string, argument: string, what: string): void {
  if (holdsControlCharacters(value)) {
    throw new S3Error("InvalidArgument", { message: `${what} holds characters an HTTP header cannot carry.`, details: { ArgumentName: argument } });
  }
}

/**
 * Text a presigner moved from a header into the query, as the header it was: held to what a header can carry, or
 * `400 InvalidArgument` naming `argument`, and given as the runtime hands over a header its client sent as UTF-8 (so
 * metadata, a copy source or tags past ASCII are read as if sent so).
 */
export function hoistedHeaderValue(value: string, argument: string): string {
  checkCarriable(value, argument, `"${argument}"`);
  return headerValueOf(value);
}

/** `text` as one RFC 2047 word of its UTF-8 bytes: what S3 answers for metadata past ASCII. */
function encodedWord(text: string): string {
  return `=?UTF-8?B?${toBase64(utf8(text))}?=`;
}

/**
 * Whether header values hold bytes, one character each (see `useLatin1HeaderValues`). Found out at load where it can
 * be: `Headers` that take only Latin-1 text (Node's, Bun's) would refuse a character past U+00FF, and their runtimes
 * hand a received value over as its bytes; workerd's take any text, send it as UTF-8 and decode received UTF-8.
 */
let latin1HeaderValues = ((): boolean => {
  try {
    new Headers({ probe: "\u0100" });
    return false;
  } catch {
    return true;
  }
})();

/**
 * Declares that the runtime reads and writes header values one byte per character, for one whose `Headers` would
 * take any text (node:http reads and writes Latin-1, and Node's `Headers` already tell: no call is needed there;
 * workerd uses UTF-8). Text past ASCII is then set as its UTF-8 bytes, one character each, so that the client gets
 * the bytes S3 sends, and a received value is read as the UTF-8 its bytes are. `false` declares the opposite: values
 * are text, received and sent as UTF-8 (workerd's).
 */
export function useLatin1HeaderValues(bytes = true): void {
  latin1HeaderValues = bytes;
}

/** A header value as this runtime must be given it to send the UTF-8 bytes of `text`. */
export function headerValueOf(text: string): string {
  if (!latin1HeaderValues || !NOT_ASCII.test(text)) return text;
  let bytes = "";
  for (const byte of utf8(text)) bytes += String.fromCharCode(byte);
  return bytes;
}

// A leading U+FEFF is text the client sent, not a byte-order mark to drop.
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Whether a text of bytes (one character each, none past U+00FF) is well-formed UTF-8. Checked without throwing. */
function isUtf8(bytes: string): boolean {
  for (let index = 0; index < bytes.length; ) {
    const lead = bytes.charCodeAt(index);
    if (lead < 0x80) {
      index++;
      continue;
    }
    // The length and the range of the second byte (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
    const [length, low, high] = lead >= 0xc2 && lead <= 0xdf ? [2, 0x80, 0xbf] : lead === 0xe0 ? [3, 0xa0, 0xbf] : lead === 0xed ? [3, 0x80, 0x9f] : lead >= 0xe1 && lead <= 0xef ? [3, 0x80, 0xbf] : lead === 0xf0 ? [4, 0x90, 0xbf] : lead === 0xf4 ? [4, 0x80, 0x8f] : lead >= 0xf1 && lead <= 0xf3 ? [4, 0x80, 0xbf] : [0, 0, 0];
    if (length === 0 || index + length > bytes.length) return false;
    const second = bytes.charCodeAt(index + 1);
    if (second < low || second > high) return false;
    for (let next = 2; next < length; next++) {
      const byte = bytes.charCodeAt(index + next);
      if (byte < 0x80 || byte > 0xbf) return false;
    }
    index += length;
  }
  return true;
}

/**
 * The text a client sent as a received header value: on a runtime that hands values over as bytes, the UTF-8 they
 * are (SDKs in Go and Rust, curl, send metadata so); bytes that are no UTF-8 are taken as Latin-1, HTTP's old
 * default, as is a value that already holds text (a Lambda event's).
 */
export function textOfHeaderValue(value: string): string {
  if (!latin1HeaderValues || !NOT_ASCII.test(value) || PAST_LATIN1.test(value)) return value;
  return isUtf8(value) ? utf8Decoder.decode(latin1Bytes(value)) : value;
}

/**
 * A user metadata value (`x-amz-meta-*`) as S3 keeps it: ASCII as sent, anything past ASCII as one RFC 2047 word of
 * the text sent (S3 decodes the text and answers it encoded so). Every store can keep that, and a backend request
 * carries it unchanged and signed.
 */
export function metadataValue(value: string): string {
  return NOT_ASCII.test(value) ? encodedWord(textOfHeaderValue(value)) : value;
}

/** Whether this runtime hands received header values over as their bytes, one character each (see above). */
export function headerValuesAreBytes(): boolean {
  return latin1HeaderValues;
}

/**
 * `value` trimmed of ASCII whitespace only and, with `collapse`, each run of it one space: how the clients that sign
 * values past ASCII (curl, the Go SDK) canonicalize them. U+00A0 or U+3000, or the byte 0xA0 in the UTF-8 of "à"
 * where a runtime holds a value as its bytes, is no space.
 */
export function asciiTrimmed(value: string, collapse: boolean): string {
  const trimmed = value.replace(/^[\t-\r ]+|[\t-\r ]+$/g, "");
  return collapse ? trimmed.replace(/[\t-\r ]+/g, " ") : trimmed;
}

/** Whether `text` holds a character past ASCII. */
export function isPastAscii(text: string): boolean {
  return NOT_ASCII.test(text);
}

/** The bytes of a text that holds bytes, one character each (characters past U+00FF are cut to their low byte). */
export function latin1Bytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}

/**
 * The bytes a signer hashes for a canonical text holding header values as this runtime gives them: their bytes where
 * values are bytes (see `headerValuesAreBytes`), else the text's UTF-8.
 */
export function canonicalBytes(text: string): Uint8Array<ArrayBuffer> {
  return latin1HeaderValues && NOT_ASCII.test(text) ? latin1Bytes(text) : utf8(text);
}

/**
 * Where header values are bytes: the signed `names` of `headers` with each value past ASCII whose bytes are no UTF-8
 * (so read as Latin-1 text, see `textOfHeaderValue`) given as the UTF-8 of that text, or undefined when no signed value
 * is such. That is what a client signed that sent text as Latin-1 but signed its UTF-8 (Node's http and Python's
 * http.client send Latin-1 text so, under the JS SDK and botocore): the text read is the text signed. Whitespace is
 * left to the verifier's canonicalization, which trims ASCII whitespace only past ASCII: a signed space cannot come
 * back as the byte 0xA0.
 */
export function latin1TextHeaders(headers: Headers, names: Iterable<string>): HeaderMap | undefined {
  if (!latin1HeaderValues) return undefined;
  let out: HeaderMap | undefined;
  // Each name once, however often a claim repeats it.
  for (const name of new Set(names)) {
    const value = headers.get(name);
    if (value === null || !NOT_ASCII.test(value) || PAST_LATIN1.test(value) || isUtf8(value)) continue;
    out ??= new HeaderMap(headers);
    out.set(name, headerValueOf(value));
  }
  return out;
}

/** Whether `value` holds characters no header can carry (control characters other than HTAB: CR and LF end one). */
export function holdsControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/** Whether a lowercase `name` is one a header may have. */
export function isHeaderName(name: string): boolean {
  return NAME.test(name);
}
