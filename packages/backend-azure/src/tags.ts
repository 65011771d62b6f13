/**
 * S3 object tags as Azure blob index tags. Azure keeps up to 10 tags per blob with S3's key and value lengths, but
 * takes fewer characters: letters a-z and A-Z, digits, space and `+ - . / : = _` (S3 also takes `@` and letters
 * past ASCII). A tag Azure would refuse is refused here first, naming the rule, before anything is written.
 * Tags travel as `x-ms-tags` (a URL query string) on writes and as a `<Tags>` document on Get / Set Blob Tags.
 */
import { S3Error } from "@multistore/core";
import { childElement, childElements, childText, escapeXml, taggingHeader, tagsOfHeader, type ObjectTag, type XmlElement } from "@multistore/core/backend";

/** Characters Azure takes in a tag's key and value. */
const AZURE_TAG_TEXT = /^[A-Za-z0-9 +\-./:=_]*$/;

/** `tags`, checked against Azure's characters (S3's limits are core's to check): `400 InvalidTag` otherwise. */
export function checkAzureTags(tags: readonly ObjectTag[]): readonly ObjectTag[] {
  for (const { key, value } of tags) {
    if (!AZURE_TAG_TEXT.test(key) || !AZURE_TAG_TEXT.test(value)) {
      throw new S3Error("InvalidTag", {
        message: "Objects of az buckets take tag keys and values of letters a-z and A-Z, digits, spaces and + - . / : = _ only.",
      });
    }
    // The SDK (the Node build) reads tags into a plain object, where this key sets nothing: written, it would vanish.
    if (key === "__proto__") throw new S3Error("InvalidTag", { message: "Objects of az buckets cannot have a tag named __proto__." });
  }
  return tags;
}

/** The tags of an `x-amz-tagging` header (already checked against S3's limits by core), checked for Azure. */
export function tagsOfTaggingHeader(value: string | null): readonly ObjectTag[] {
  if (value === null) return [];
  return checkAzureTags(tagsOfHeader(value));
}

/** Tags as `x-ms-tags` carries them; undefined for none (the header is then left out). */
export function tagsHeaderValue(tags: readonly ObjectTag[]): string | undefined {
  return tags.length === 0 ? undefined : taggingHeader(tags);
}

/** Tags as a record (the SDK's form), in their order. */
export function tagsRecord(tags: readonly ObjectTag[]): Record<string, string> {
  const record: Record<string, string> = Object.create(null);
  for (const tag of tags) record[tag.key] = tag.value;
  return record;
}

/** Set Blob Tags' request body. */
export function tagsDocument(tags: readonly ObjectTag[]): string {
  const set = tags.map((tag) => `<Tag><Key>${escapeXml(tag.key)}</Key><Value>${escapeXml(tag.value)}</Value></Tag>`).join("");
  return `<?xml version="1.0" encoding="utf-8"?><Tags><TagSet>${set}</TagSet></Tags>`;
}

/** The tags of Get Blob Tags' answer (`<Tags><TagSet><Tag><Key/><Value/></Tag>…`). */
export function tagsOfDocument(root: XmlElement): ObjectTag[] {
  const set = childElement(root, "TagSet");
  return (set ? childElements(set, "Tag") : []).map((tag) => ({ key: childText(tag, "Key") ?? "", value: childText(tag, "Value") ?? "" }));
}
