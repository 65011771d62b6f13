/** GetObjectTagging's answer on an S3 backend. */
import { childElement, childElements, childText, type ObjectTag, type XmlElement } from "@multistore/core/backend";

/** The tags of a Tagging document, and the version the backend said they belong to. */
export function tagsOf(root: XmlElement, versionId: string | null): { tags: ObjectTag[]; versionId?: string } {
  const set = childElement(root, "TagSet");
  const tags = (set ? childElements(set, "Tag") : []).map((tag) => ({ key: childText(tag, "Key") ?? "", value: childText(tag, "Value") ?? "" }));
  return { tags, ...(versionId && { versionId }) };
}
