/**
 * GetObjectTagging, PutObjectTagging and DeleteObjectTagging: an object's tags are kept in its sidecar entry (see
 * `TAGGING`), so they follow the file they were set on. Setting them writes only the sidecar, under the key's lock as
 * every commit is: the data file, its ETag and Last-Modified stay as they were, as on S3. A file dropped into the root
 * gets an entry of its own then, with the ETag it already had.
 */
import { S3Error } from "@multistore/core";
import { taggingHeader, type ObjectTag } from "@multistore/core/backend";
import { checkVersionId } from "./copy.js";
import { locks } from "./locks-names.js";
import { withLock } from "./locks.js";
import { fingerprint, readSidecar, storedTags, TAGGING, writeSidecar, type SidecarEntry } from "./metadata.js";
import { statObject } from "./object-read.js";
import { lstatOrUndefined, resolveKey, type FsLayout } from "./paths.js";

function noSuchKey(key: string): S3Error {
  return new S3Error("NoSuchKey", { details: { Key: key } });
}

/** Replaces the tags of `key` (none: removes them). */
async function setTags(layout: FsLayout, key: string, tags: readonly ObjectTag[], versionId: string | undefined): Promise<{ versionId?: string }> {
  checkVersionId(versionId);
  const kp = resolveKey(layout, key);
  await withLock(locks.key(kp), async () => {
    const state = await statObject(layout, kp);
    if (state === undefined) throw noSuchKey(key);
    const entry: SidecarEntry = state.entry ?? { fp: fingerprint(state.stats), etag: state.etag, headers: {} };
    const { [TAGGING]: _replaced, ...headers } = entry.headers;
    const tagging = taggingHeader(tags);
    const updated: SidecarEntry = { ...entry, headers: tagging === "" ? headers : { ...headers, [TAGGING]: tagging } };
    // The other entry a sidecar may hold (the file this one replaced, which a reader may still have open) stays.
    const others = ((await readSidecar(layout, key))?.entries ?? []).filter((other) => other.fp !== entry.fp);
    await writeSidecar(layout, key, [updated, ...others].slice(0, 2));
  });
  return {};
}

/** The backend's tagging methods on `layout`. */
export function taggingMethods(layout: FsLayout) {
  return {
    async getObjectTagging(key: string, versionId?: string): Promise<{ tags: ObjectTag[]; versionId?: string }> {
      checkVersionId(versionId);
      const kp = resolveKey(layout, key);
      for (let attempt = 0; ; attempt++) {
        const state = await statObject(layout, kp);
        if (state === undefined) throw noSuchKey(key);
        if (state.entry !== undefined || attempt === 2) return { tags: storedTags(state.headers) };
        // Overwrites between the stat and the sidecar read may have pushed out the entry of the file stat saw: its
        // tags would read as none. The file at the key then differs from the one seen; a fresh look is consistent.
        const now = await lstatOrUndefined(kp.path);
        if (now !== undefined && fingerprint(now) === fingerprint(state.stats)) return { tags: [] };
      }
    },
    putObjectTagging: (key: string, tags: readonly ObjectTag[], versionId?: string) => setTags(layout, key, tags, versionId),
    deleteObjectTagging: (key: string, versionId?: string) => setTags(layout, key, [], versionId),
  };
}
