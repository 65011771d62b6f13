/**
 * `@multistore/testing/contract`: the backend contract suite alone, for authors of backends (ours and third-party
 * ones). Unlike the package's main entry it loads no emulator, no S3 server and no AWS SDK: only vitest and core.
 */
export { runBackendContract } from "./backend-contract.js";
export { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, readBody, type ExecuteDispatchOptions, type ExecutedResponse } from "./backend-contract-execute.js";
export type { BackendContractOptions, EmulatorGaps } from "./backend-contract-options.js";
