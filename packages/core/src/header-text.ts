/**
 * Text that becomes a request header without passing an HTTP parser (a form field, a parameter a presigner moved
 * into a URL's query): held to what a header can carry, and past ASCII sent as S3 keeps such metadata.
 */
import { toBase64, utf8 } from "./encoding.js";
import { S3Error } from "./errors.js";

/** Control characters other than HTAB (what is neither HTAB, printable ASCII nor past ASCII): a header cannot carry them. */
const CONTROL = /[^\t\u0020-\u007e\u0080-\uffff]/;
/** Anything past ASCII: sent as RFC 2047 (`=?UTF-8?B?…?=`), as S3 keeps and returns non-ASCII metadata. */
const NOT_ASCII = /[\u0080-\uffff]/;
/** A header name as HTTP allows it (a token), in lowercase. */
const NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * `value` as a header carries it, or `400 InvalidArgument` naming `argument` (described as `what`) when no header can
 * carry it.
 */
export function headerText(value: string, argument: string, what = `"${argument}"`): string {
  if (holdsControlCharacters(value)) {
    throw new S3Error("InvalidArgument", { message: `${what} holds characters an HTTP header cannot carry.`, details: { ArgumentName: argument } });
  }
  return NOT_ASCII.test(value) ? `=?UTF-8?B?${toBase64(utf8(value))}?=` : value;
}

/** Whether `value` holds characters no header can carry (control characters other than HTAB: CR and LF end one). */
export function holdsControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/** Whether a lowercase `name` is one a header may have. */
export function isHeaderName(name: string): boolean {
  return NAME.test(name);
}
