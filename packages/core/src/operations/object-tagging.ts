/**
 * GetObjectTagging, PutObjectTagging and DeleteObjectTagging. A backend that stores tags answers them
 * (`Backend.getObjectTagging` & co.); any other stores none, and its objects have an empty tag set (found by a head
 * of the object, so a missing key is still NoSuchKey). aws-cli reads the source's tags before copying an object in
 * parts.
 */
import type { ResponsePlan } from "../dispatch.js";
import { S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import { checkedTags } from "../object-tags.js";
import { xmlResponse } from "../responses.js";
import type { Query } from "../s3-request.js";
import { childElement, childElements, clientXmlText, parseClientXml, type XmlElement, xmlElement } from "../xml.js";
import type { Backend, ObjectDispatch, ObjectTag, PlainResponse } from "../types.js";
import { prepareObject } from "./object.js";

/** The Tagging document of `tags`, with the version it describes when the backend said. */
export function renderTagging(tags: readonly ObjectTag[], versionId?: string | null): PlainResponse<never> {
  const set = tags.map((tag) => `<Tag>${xmlElement("Key", tag.key)}${xmlElement("Value", tag.value)}</Tag>`).join("");
  const response = xmlResponse("Tagging", `<TagSet>${set}</TagSet>`);
  if (versionId) response.headers.set("x-amz-version-id", versionId);
  return response;
}

/** The empty tag set of an object a head found (its filtered headers), for backends that store no tags. */
export function renderEmptyTagging(headHeaders: Headers): PlainResponse<never> {
  return renderTagging([], headHeaders.get("x-amz-version-id"));
}

/** An element that must hold exactly `names`, once each (`Tagging`: a `TagSet`; a `Tag`: its `Key` and `Value`). */
function holdsExactly(element: XmlElement, names: readonly string[]): boolean {
  return element.text.trim() === "" && element.children.length === names.length && names.every((name) => childElements(element, name).length === 1);
}

/**
 * The tags of a PutObjectTagging document (`<Tagging><TagSet><Tag>…`), checked against its schema (anything else in
 * it is MalformedXML: a misspelt `<tag>` must not read as an empty tag set, which would remove every tag) and S3's
 * limits.
 */
export function parseTagging(body: Uint8Array): ObjectTag[] {
  const root = parseClientXml(clientXmlText(body), "Tagging");
  const set = childElement(root, "TagSet");
  if (set === undefined || !holdsExactly(root, ["TagSet"])) throw new S3Error("MalformedXML", { message: "The Tagging document needs one TagSet and nothing else." });
  if (set.text.trim() !== "" || set.children.some((child) => child.name !== "Tag")) throw new S3Error("MalformedXML", { message: "A TagSet holds Tag elements only." });
  const pairs: [string, string][] = [];
  for (const tag of set.children) {
    const keyElement = childElement(tag, "Key");
    const valueElement = childElement(tag, "Value");
    if (keyElement === undefined || valueElement === undefined || !holdsExactly(tag, ["Key", "Value"]) || keyElement.children.length > 0 || valueElement.children.length > 0) {
      throw new S3Error("MalformedXML", { message: "Each Tag holds one Key and one Value, as text." });
    }
    pairs.push([keyElement.text, valueElement.text]);
  }
  return checkedTags(pairs);
}

/** PutObjectTagging's (200) or DeleteObjectTagging's (204) answer, naming the version when there is one. */
function taggingWritten(deleted: boolean, versionId: string | null | undefined): PlainResponse<never> {
  const headers = new HeaderMap();
  if (versionId) headers.set("x-amz-version-id", versionId);
  return { status: deleted ? 204 : 200, headers, body: null };
}

/**
 * PutObjectTagging (`tags`) or DeleteObjectTagging (`tags` undefined). A backend that stores no tags takes only what
 * its objects already have, no tags: putting none or deleting them is answered after a head of the object (so a
 * missing key is still NoSuchKey); putting any is `501 NotImplemented`.
 */
export function writeTagging<B>(
  backend: Backend<B>,
  key: string,
  tags: readonly ObjectTag[] | undefined,
  query: Query,
  auth: Parameters<typeof prepareObject>[5],
): Promise<PlainResponse<never> | (ObjectDispatch<B> & ResponsePlan)> {
  const versionId = query.get("versionId");
  const deleted = tags === undefined;
  if (deleted ? backend.deleteObjectTagging : backend.putObjectTagging) {
    const written = deleted ? backend.deleteObjectTagging!(key, versionId) : backend.putObjectTagging!(key, tags, versionId);
    return written.then((result) => taggingWritten(deleted, result.versionId));
  }
  if (tags !== undefined && tags.length > 0) throw new S3Error("NotImplemented", { message: `Objects of ${backend.kind} buckets have no tags: only an empty tag set can be put.` });
  return Promise.resolve(prepareObject(backend, "HeadObject", key, new HeaderMap(), query, auth)).then((prepared) => ({
    ...prepared.dispatch,
    renderHead: (headers: Headers) => taggingWritten(deleted, headers.get("x-amz-version-id")),
  }));
}
