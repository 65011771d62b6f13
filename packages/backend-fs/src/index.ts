/**
 * `@multistore/backend-fs`: serves a bucket from a local directory (Node only). See `createFsBackend`.
 */
export { createFsBackend, type FsBackendOptions } from "./fs-backend.js";
