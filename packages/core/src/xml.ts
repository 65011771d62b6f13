/**
 * Just enough XML for S3: escaping for the documents we render, and a strict parser for the small documents we read
 * (CompleteMultipartUpload, Delete, and backend responses). No DTDs (so no entity expansion attacks), no namespaces
 * beyond ignoring prefixes and `xmlns` attributes.
 */
import { S3Error } from "./errors.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
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

function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&([^;&\s]{1,10});|&/g, (match, entity: string | undefined) => {
    if (entity === undefined) throw new XmlParseError("bare '&' in text");
    if (entity.startsWith("#")) {
      const code = entity[1] === "x" || entity[1] === "X" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      if (!Number.isFinite(code) || code < 0 || code > 0x10ffff) throw new XmlParseError(`bad character reference ${match}`);
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[entity];
    if (named === undefined) throw new XmlParseError(`unknown entity ${match}`);
    return named;
  });
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(":");
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTRIBUTE = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/;

/** Parses a document and returns its root element. Throws `XmlParseError` when it is not well-formed. */
export function parseXml(source: string): XmlElement {
  let position = 0;
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
    if (source.startsWith("<?", open)) {
      const end = source.indexOf("?>", open);
      if (end === -1) throw new XmlParseError("unterminated processing instruction");
      position = end + 2;
    } else if (source.startsWith("<!--", open)) {
      const end = source.indexOf("-->", open);
      if (end === -1) throw new XmlParseError("unterminated comment");
      position = end + 3;
    } else if (source.startsWith("<![CDATA[", open)) {
      const end = source.indexOf("]]>", open);
      if (end === -1) throw new XmlParseError("unterminated CDATA section");
      appendText(source.slice(open + 9, end));
      position = end + 3;
    } else if (source.startsWith("<!", open)) {
      throw new XmlParseError("document type declarations are not allowed");
    } else if (source.startsWith("</", open)) {
      const end = source.indexOf(">", open);
      if (end === -1) throw new XmlParseError("unterminated end tag");
      const name = localName(source.slice(open + 2, end).trim());
      const element = stack.pop();
      if (!element || element.name !== name) throw new XmlParseError(`unexpected end tag </${name}>`);
      position = end + 1;
    } else {
      let cursor = open + 1;
      const nameMatch = NAME.exec(source.slice(cursor, cursor + 256));
      if (!nameMatch) throw new XmlParseError("bad element name");
      cursor += nameMatch[0].length;
      const element: XmlElement = { name: localName(nameMatch[0]), attributes: {}, children: [], text: "" };
      for (;;) {
        const rest = source.slice(cursor, cursor + 4096);
        const attribute = ATTRIBUTE.exec(rest);
        if (!attribute) break;
        element.attributes[localName(attribute[1]!)] = decodeEntities(attribute[3] ?? attribute[4] ?? "");
        cursor += attribute[0].length;
      }
      while (/\s/.test(source[cursor] ?? "")) cursor++;
      const selfClosing = source.startsWith("/>", cursor);
      if (!selfClosing && source[cursor] !== ">") throw new XmlParseError(`malformed start tag <${element.name}>`);
      position = cursor + (selfClosing ? 2 : 1);
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) throw new XmlParseError("more than one root element");
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length > 0) throw new XmlParseError(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new XmlParseError("no root element");
  return root;
}

/** Parses a document a client sent, whose root must be `rootName`; anything else is S3's MalformedXML. */
export function parseClientXml(source: string, rootName: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(source);
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
