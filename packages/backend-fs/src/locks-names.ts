/** Names of the in-process locks, in one place so every writer of a resource uses the same one. */
import type { KeyPath } from "./paths.js";

/** Lock name builders. */
export const locks = {
  /**
   * An object: every commit and delete of the key. By absolute path, so backends on the same root share it, and
   * `a` and `a/` (which compete for the same path) exclude each other.
   */
  key: (kp: Pick<KeyPath, "path">): string => `key:${kp.path}`,
  /** A multipart upload: part commits, complete and abort exclude each other. */
  upload: (uploadDir: string): string => `upload:${uploadDir}`,
};
