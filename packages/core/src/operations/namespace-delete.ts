/**
 * DeleteObjects on a namespace (`POST /account?delete`: what `aws s3 rm --recursive s3://account/product/` and
 * `aws s3 sync --delete` send after listing it). A key's first segments name its bucket (`product/x` is key `x` of
 * `account:product`); each bucket's keys are deleted as that bucket's own DeleteObjects deletes them, each authorized
 * on its own, and the answer names every key as the client did.
 */
import { S3Error, toS3Error } from "../errors.js";
import type { NamespaceListing } from "../target-mapping.js";
import type { Identity, PlainResponse } from "../types.js";
import { clientXmlText } from "../xml.js";
import type { BucketResolver } from "./copy.js";
import { deleteEntries, parseDeleteRequest, renderDeleteResult, type DeleteEntry, type DeleteOutcome } from "./delete-objects.js";

/** The entries of one bucket of the namespace, in its terms, and what the client's keys carry in front of them. */
interface BucketEntries {
  /** `product/` of key `product/x`. */
  shownPrefix: string;
  entries: DeleteEntry[];
}

/** Runs a DeleteObjects request on a namespace whose buckets are named by `namespace.segments` key segments. */
export async function deleteNamespaceObjects(
  namespace: NamespaceListing,
  identity: Identity,
  body: Uint8Array,
  resolveBucket: BucketResolver,
  onInternalError: (error: unknown) => void,
): Promise<PlainResponse<never>> {
  if (identity.type === "anonymous") throw new S3Error("AccessDenied");
  const request = parseDeleteRequest(clientXmlText(body));
  const segments = namespace.segments;
  // (A mapping that does not say how many segments name a bucket cannot say which bucket a key is in.)
  if (segments === undefined) throw new S3Error("NotImplemented", { message: "DeleteObjects above the buckets of this namespace is not supported; delete from a bucket's own path." });
  const outcome: DeleteOutcome = { deleted: [], errors: [] };
  const byBucket = new Map<string, BucketEntries>();
  for (const entry of request.entries) {
    const parts = entry.key.split("/");
    const named = parts.slice(0, segments);
    // `product` or `product/` names a bucket, not a key in it; what the same path answers alone (see path-mapping).
    if (parts.length <= segments || named.some((segment) => segment === "") || parts.slice(segments).join("/") === "") {
      outcome.errors.push({ ...entry, code: "InvalidRequest", message: `${entry.key} names no key of a bucket of the namespace.` });
      continue;
    }
    const name = namespace.bucketPrefix + named.join(namespace.separator);
    const group = byBucket.get(name) ?? { shownPrefix: named.map((segment) => `${segment}/`).join(""), entries: [] };
    byBucket.set(name, group);
    group.entries.push({ ...entry, key: parts.slice(segments).join("/") });
  }
  // One bucket after another (a request names at most 1000 keys); a bucket that fails fails its own keys only, so
  // the answer still reports what the others deleted.
  for (const [name, group] of byBucket) {
    const shown = (key: string) => group.shownPrefix + key;
    try {
      const { bucket, backend } = await resolveBucket(name);
      const result = await deleteEntries(backend, bucket, identity, group.entries);
      outcome.deleted.push(...result.deleted.map((entry) => ({ ...entry, key: shown(entry.key) })));
      outcome.errors.push(...result.errors.map((error) => ({ ...error, key: shown(error.key) })));
    } catch (error) {
      const s3Error = toS3Error(error);
      if (s3Error.code === "InternalError") onInternalError(error);
      for (const entry of group.entries) outcome.errors.push({ ...entry, key: shown(entry.key), code: s3Error.code, message: s3Error.message });
    }
  }
  return renderDeleteResult(request.quiet, outcome);
}
