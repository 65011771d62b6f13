/**
 * GetObjectTagging. A backend that stores tags answers them (`Backend.getObjectTagging`); any other stores none, and
 * its objects have an empty tag set (found by a head of the object, so a missing key is still NoSuchKey). aws-cli
 * reads the source's tags before copying an object in parts.
 */
import { xmlResponse } from "../responses.js";
import { xmlElement } from "../xml.js";
import type { ObjectTag, PlainResponse } from "../types.js";

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
