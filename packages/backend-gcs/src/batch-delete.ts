/** DeleteObjects on GCS: one DELETE per key (the XML API has no batch delete), a few at a time. */
import { isS3Error, type S3Error } from "@multistore/core";

/** Deletes of one DeleteObjects request in flight at once. */
export const DELETE_CONCURRENCY = 8;

/**
 * Runs `remove` on each item, a few at a time; an item's client error (an S3Error below 500) is its outcome. A
 * refused signature or a missing bucket fails every key alike: that is the request's error (503), thrown.
 */
export async function eachDeleted<T>(items: readonly T[], remove: (item: T) => Promise<void>): Promise<(S3Error | undefined)[]> {
  const outcomes: (S3Error | undefined)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await remove(items[index]!);
      } catch (error) {
        if (!isS3Error(error) || error.status >= 500) throw error;
        outcomes[index] = error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, items.length) }, worker));
  return outcomes;
}
