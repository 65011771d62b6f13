/**
 * `@multistore/backend-fs`: serves a bucket from a local directory (Node only). See `createFsBackend`; processes
 * that share a root install a cross-process lock service with `useFsLocks`.
 */
export { createFsBackend, type FsBackendOptions } from "./fs-backend.js";
export { useFsLocks, type FsLockService } from "./locks.js";

export { FS_OPTION_RULES } from "./option-rules.js";
