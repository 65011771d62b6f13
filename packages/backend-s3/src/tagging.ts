/** Object tags on an S3 backend: GetObjectTagging, PutObjectTagging and DeleteObjectTagging, passed on to S3. */
import { childElement, childElements, childText, escapeXml, type ObjectTag, type XmlElement } from "@multistore/core/backend";
import { xmlBodyHeaders } from "./digests.js";
import { requiredDocument } from "./s3-xml.js";

/** The tags of a Tagging document, and the version the backend said they belong to. */
export function tagsOf(root: XmlElement, versionId: string | null): { tags: ObjectTag[]; versionId?: string } {
  const set = childElement(root, "TagSet");
  const tags = (set ? childElements(set, "Tag") : []).map((tag) => ({ key: childText(tag, "Key") ?? "", value: childText(tag, "Value") ?? "" }));
  return { tags, ...(versionId && { versionId }) };
}

/** What the tagging calls need of the backend: its signed control requests and object URLs. */
interface TaggingTransport {
  signedRequest(method: string, url: URL, headers: Record<string, string>, body?: Uint8Array): Promise<{ root: XmlElement | undefined; headers: Headers }>;
  urlFor(key: string, query: Record<string, string>): URL;
  md5Base64: ((bytes: Uint8Array) => string) | undefined;
}

/** The backend's tagging methods. */
export function taggingMethods({ signedRequest, urlFor, md5Base64 }: TaggingTransport) {
  const taggingUrl = (key: string, versionId: string | undefined) => urlFor(key, { tagging: "", ...(versionId !== undefined && { versionId }) });
  const versionOf = (headers: Headers) => {
    const versionId = headers.get("x-amz-version-id");
    return versionId ? { versionId } : {};
  };
  return {
    async getObjectTagging(key: string, versionId?: string) {
      const { root, headers } = await signedRequest("GET", taggingUrl(key, versionId), {});
      return tagsOf(requiredDocument(root, "Tagging"), headers.get("x-amz-version-id"));
    },
    async putObjectTagging(key: string, tags: readonly ObjectTag[], versionId?: string) {
      const set = tags.map((tag) => `<Tag><Key>${escapeXml(tag.key)}</Key><Value>${escapeXml(tag.value)}</Value></Tag>`).join("");
      const body = new TextEncoder().encode(`<Tagging><TagSet>${set}</TagSet></Tagging>`);
      return versionOf((await signedRequest("PUT", taggingUrl(key, versionId), await xmlBodyHeaders(body, md5Base64), body)).headers);
    },
    async deleteObjectTagging(key: string, versionId?: string) {
      return versionOf((await signedRequest("DELETE", taggingUrl(key, versionId), {})).headers);
    },
  };
}
