/**
 * GetObjectTagging, PutObjectTagging and DeleteObjectTagging on blob index tags (Get / Set Blob Tags). Setting tags
 * changes neither the blob's ETag nor its last-modified time, as on S3. Azure serves no tag call unsigned: a backend
 * without credentials (`skip_signature`, a public container) reads only whether a blob has tags.
 */
import { S3Error } from "@multistore/core";
import type { ObjectTag } from "@multistore/core/backend";
import { azureCall as call } from "./azure-errors.js";
import type { AzureClient } from "./client.js";
import { checkKey } from "./names.js";
import { checkAzureTags } from "./tags.js";

/** A key the tag calls may address; S3's "null" is the only version an az object has. */
function checkTarget(key: string, versionId: string | undefined): void {
  checkKey(key);
  if (versionId !== undefined && versionId !== "null") {
    throw new S3Error("NotImplemented", { message: "Object versions are not supported by the az backend." });
  }
}

/** The backend's tagging methods, on `client`. */
export function taggingMethods(client: AzureClient) {
  async function setTags(key: string, tags: readonly ObjectTag[], versionId: string | undefined): Promise<{ versionId?: string }> {
    checkTarget(key, versionId);
    if (!(await call(() => client.setTags(key, checkAzureTags(tags))))) throw new S3Error("NoSuchKey");
    return {};
  }
  return {
    async getObjectTagging(key: string, versionId?: string): Promise<{ tags: ObjectTag[]; versionId?: string }> {
      checkTarget(key, versionId);
      const tags = await call(() => client.getTags(key));
      if (tags === undefined) throw new S3Error("NoSuchKey");
      return { tags };
    },
    putObjectTagging: (key: string, tags: readonly ObjectTag[], versionId?: string) => setTags(key, tags, versionId),
    deleteObjectTagging: (key: string, versionId?: string) => setTags(key, [], versionId),
  };
}

/**
 * The tagging of a backend without credentials: Get Blob Tags needs them, but Get Blob Properties (which a public
 * container serves) counts a blob's tags. An untagged blob has an empty tag set, as before tags were kept, and copies
 * of it go on; a tagged one is AccessDenied rather than shown without its tags. Tags cannot be written (core then
 * refuses them with 501, as on stores that keep none).
 */
export function unsignedTaggingMethods(client: AzureClient) {
  return {
    async getObjectTagging(key: string, versionId?: string): Promise<{ tags: ObjectTag[]; versionId?: string }> {
      checkTarget(key, versionId);
      const info = await call(() => client.properties(key));
      if (info === undefined) throw new S3Error("NoSuchKey");
      if (info.tagCount !== undefined) throw new S3Error("AccessDenied", { message: "The object's tags cannot be read without the storage account's credentials." });
      return { tags: [] };
    },
  };
}
