/**
 * Just enough XML for S3: escaping for the documents we render, and a strict parser for the small documents we read
 * (CompleteMultipartUpload, Delete, and backend responses). No DTDs (so no entity expansion attacks), no namespaces
 * beyond ignoring prefixes and `xmlns` attributes.
 */
import { S3Error } from "./errors.js";

/**
 * A carriage return is written as a reference: a parser turns a literal one into a line feed (XML's line-end
 * normalization), so a key holding `\r` would reach the client as another key.
 */
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#13;" };

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (character) => ESCAPES[character]!);
}

/** A parsed element: its local name, attributes, child elements and text content (concatenated). */
export interface XmlElement {
  /** Local name (namespace prefix removed). */
  name: string;
  /** Attributes by local name. */
  attributes: Record<string, string>;
  /** Child elements, in document order. */
  children: XmlElement[];
  /** Text directly inside this element, entities decoded. */
  text: string;
}

/** Thrown for documents that are not well-formed. */
export class XmlParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlParseError";
  }
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML 1.0's Char: what a document may hold, literally or by reference (no NUL, few controls, no lone surrogates). */
function isXmlCharacter(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** A character a document may not hold literally (control characters but TAB, LF and CR; lone surrogates; U+FFFE, U+FFFF). */
const NOT_XML_CHARACTER = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** Whether XML 1.0 can carry `text` (no NUL, control characters but TAB, LF and CR, lone surrogates, U+FFFE/U+FFFF). */
export function isXmlText(text: string): boolean {
  return !NOT_XML_CHARACTER.test(text);
}

/** Every such character, for replacing them. */
const NOT_XML_CHARACTERS = new RegExp(NOT_XML_CHARACTER.source, "gu");

/**
 * `text` with each character XML 1.0 cannot carry replaced by what `replace` makes of it: a document echoing the
 * caller's text (a key, a parameter) must stay one a client can parse.
 */
export function replaceNonXml(text: string, replace: (character: string) => string): string {
  return text.replace(NOT_XML_CHARACTERS, replace);
}

function decodeEntity(entity: string, match: string): string {
  if (entity.startsWith("#")) {
    const code = entity[1] === "x" || entity[1] === "X" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    if (!Number.isFinite(code) || !isXmlCharacter(code)) throw new XmlParseError(`bad character reference ${match}`);
    return String.fromCodePoint(code);
  }
  const named = NAMED_ENTITIES[entity];
  if (named === undefined) throw new XmlParseError(`unknown entity ${match}`);
  return named;
}

/** A `&` that does not start one of the five named entities (the rest are character references). */
const NOT_NAMED_ENTITY = /&(?!(?:amp|lt|gt|quot|apos);)/;

/** Decodes entity and character references in one pass (no per-match callback: text can be megabytes of them). */
function decodeEntities(text: string): string {
  let amp = text.indexOf("&");
  if (amp === -1) return text;
  // Named entities only (what S3 documents carry): five native replacements.
  if (!NOT_NAMED_ENTITY.test(text)) {
    return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&apos;", "'").replaceAll("&amp;", "&");
  }
  let out = "";
  let last = 0;
  while (amp !== -1) {
    const semicolon = text.indexOf(";", amp + 1);
    const entity = semicolon === -1 || semicolon - amp > 11 ? "" : text.slice(amp + 1, semicolon);
    if (entity === "" || /[&\s]/.test(entity)) throw new XmlParseError("bare '&' in text");
    out += text.slice(last, amp) + decodeEntity(entity, `&${entity};`);
    last = semicolon + 1;
    amp = text.indexOf("&", last);
  }
  return out + text.slice(last);
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(":");
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_CHILDREN: XmlElement[] = Object.freeze([]) as unknown as XmlElement[];
const QUESTION_MARK = 0x3f;
const EXCLAMATION_MARK = 0x21;
const SLASH = 0x2f;

/** XML's whitespace: space, tab, line feed, carriage return. */
function isXmlSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

// Sticky: matched at a position of the document itself, never on a copied slice of it.
const NAME = /[A-Za-z_][\w.:-]{0,255}/y;
const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]{0,255})\s*=\s*("([^"]{0,4096})"|'([^']{0,4096})')/y;

/** Bounds of a parse: a document past any of them is refused as soon as the parser sees it. */
export interface XmlLimits {
  /** Deepest element nesting (the root is depth 1). */
  maxDepth: number;
  /** Most elements in the document. */
  maxElements: number;
  /** Most attributes on one element. */
  maxAttributes: number;
}

/**
 * Default bounds, far above what S3 documents need: a CompleteMultipartUpload of 10,000 parts with checksums has
 * about 40,000 elements at depth 3; a ListBucketResult page, a few thousand at depth 3.
 */
export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 32, maxElements: 100_000, maxAttributes: 32 };

/**
 * Parses a document and returns its root element. Throws `XmlParseError` when it is not well-formed or exceeds
 * `limits`. Linear in the document's size: every character is looked at a bounded number of times.
 */
export function parseXml(source: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  let position = 0;
  let elements = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const appendText = (text: string) => {
    const current = stack[stack.length - 1];
    if (current) current.text += text;
    else if (text.trim() !== "") throw new XmlParseError("text outside the root element");
  };

  while (position < source.length) {
    const open = source.indexOf("<", position);
    if (open === -1) {
      appendText(decodeEntities(source.slice(position)));
      break;
    }
    if (open > position) appendText(decodeEntities(source.slice(position, open)));
    const next = source.charCodeAt(open + 1);
    if (next === QUESTION_MARK) {
      const end = source.indexOf("?>", open);
      if (end === -1) throw new XmlParseError("unterminated processing instruction");
      position = end + 2;
    } else if (next === EXCLAMATION_MARK && source.startsWith("<!--", open)) {
      const end = source.indexOf("-->", open);
      if (end === -1) throw new XmlParseError("unterminated comment");
      position = end + 3;
    } else if (next === EXCLAMATION_MARK && source.startsWith("<![CDATA[", open)) {
      const end = source.indexOf("]]>", open);
      if (end === -1) throw new XmlParseError("unterminated CDATA section");
      appendText(source.slice(open + 9, end));
      position = end + 3;
    } else if (next === EXCLAMATION_MARK) {
      throw new XmlParseError("document type declarations are not allowed");
    } else if (next === SLASH) {
      const end = source.indexOf(">", open);
      if (end === -1) throw new XmlParseError("unterminated end tag");
      const name = localName(source.slice(open + 2, end).trim());
      const element = stack.pop();
      if (!element || element.name !== name) throw new XmlParseError(`unexpected end tag </${name}>`);
      position = end + 1;
    } else {
      let cursor = open + 1;
      NAME.lastIndex = cursor;
      const nameMatch = NAME.exec(source);
      if (!nameMatch) throw new XmlParseError("bad element name");
      cursor += nameMatch[0].length;
      if (++elements > limits.maxElements) throw new XmlParseError(`more than ${limits.maxElements} elements`);
      if (stack.length >= limits.maxDepth) throw new XmlParseError(`elements nested deeper than ${limits.maxDepth}`);
      // Leaves (most elements) share the empty attributes and children until they get their own.
      const element: XmlElement = { name: localName(nameMatch[0]), attributes: NO_ATTRIBUTES, children: NO_CHILDREN, text: "" };
      for (let count = 0; ; count++) {
        ATTRIBUTE.lastIndex = cursor;
        const attribute = ATTRIBUTE.exec(source);
        if (!attribute) break;
        if (count >= limits.maxAttributes) throw new XmlParseError(`more than ${limits.maxAttributes} attributes on <${element.name}>`);
        if (element.attributes === NO_ATTRIBUTES) element.attributes = {};
        element.attributes[localName(attribute[1]!)] = decodeEntities(attribute[3] ?? attribute[4] ?? "");
        cursor += attribute[0].length;
      }
      while (isXmlSpace(source.charCodeAt(cursor))) cursor++;
      const selfClosing = source.startsWith("/>", cursor);
      if (!selfClosing && source[cursor] !== ">") throw new XmlParseError(`malformed start tag <${element.name}>`);
      position = cursor + (selfClosing ? 2 : 1);
      const parent = stack[stack.length - 1];
      if (parent) {
        if (parent.children === NO_CHILDREN) parent.children = [];
        parent.children.push(element);
      }
      else if (root) throw new XmlParseError("more than one root element");
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length > 0) throw new XmlParseError(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new XmlParseError("no root element");
  return root;
}

/**
 * Bounds of documents clients send (Delete, CompleteMultipartUpload): depth 3 is all S3's need (a part's checksum),
 * 10,000 parts with their number, ETag and two checksums each stay under 60,000 elements (an upload uses one
 * checksum algorithm), and they carry no attributes but `xmlns`.
 */
export const CLIENT_XML_LIMITS: XmlLimits = { maxDepth: 8, maxElements: 60_000, maxAttributes: 4 };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The text of a document a client sent: UTF-8, as S3 reads it. Bytes that are no UTF-8 are MalformedXML (decoded as
 * U+FFFD instead, a key to delete or a tag to store would be another one than the client meant).
 */
export function clientXmlText(body: Uint8Array): string {
  try {
    return strictUtf8.decode(body);
  } catch (error) {
    throw new S3Error("MalformedXML", { message: "The XML you provided is not UTF-8.", cause: error });
  }
}

/** Parses a document a client sent, whose root must be `rootName`; anything else is S3's MalformedXML. */
export function parseClientXml(source: string, rootName: string): XmlElement {
  let root: XmlElement;
  try {
    if (!isXmlText(source)) throw new XmlParseError("a character XML does not allow");
    root = parseXml(source, CLIENT_XML_LIMITS);
  } catch (error) {
    throw new S3Error("MalformedXML", { cause: error });
  }
  if (root.name !== rootName) throw new S3Error("MalformedXML");
  return root;
}

/** The first child with this local name. */
export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

/** Every child with this local name. */
export function childElements(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** Text of the first child with this local name. */
export function childText(element: XmlElement, name: string): string | undefined {
  return childElement(element, name)?.text;
}

/** Renders `<Name>text</Name>` (escaped), or nothing when `value` is undefined. */
export function xmlElement(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? "" : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** The XML declaration S3 puts before every document. */
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
