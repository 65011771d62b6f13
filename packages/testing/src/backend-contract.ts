/**
 * The shared backend contract: the behaviour every Multistore backend must have through the `Backend` interface.
 * Each backend package calls `runBackendContract` from a vitest file. Tests share one backend per suite and each
 * works under its own random key prefix, so they never see each other's objects. The sections live in their own
 * modules (backend-contract-objects.ts, -listing.ts, -multipart.ts, -copy-delete.ts) and share one context
 * (backend-contract-context.ts).
 */
import { afterAll, beforeAll, describe } from "vitest";
import type { Backend } from "@multistore/core/backend";
import type { BackendContractOptions } from "./backend-contract-options.js";
import { backendContractContext } from "./backend-contract-context.js";
import { copyDeleteContract } from "./backend-contract-copy-delete.js";
import { listingContract } from "./backend-contract-listing.js";
import { multipartContract } from "./backend-contract-multipart.js";
import { objectsContract } from "./backend-contract-objects.js";

export { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, readBody, type ExecuteDispatchOptions, type ExecutedResponse } from "./backend-contract-execute.js";

export type { BackendContractOptions, EmulatorGaps } from "./backend-contract-options.js";

/** Defines the contract tests for one backend. */
export function runBackendContract(options: BackendContractOptions): void {
  describe(`backend contract: ${options.name}`, () => {
    let backend: Backend<any>;
    let cleanup: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ backend, cleanup } = await options.setup());
    }, 60_000);
    afterAll(async () => {
      await cleanup?.();
    });

    const context = backendContractContext(options, () => backend);
    describe("objects", () => objectsContract(context));
    describe("listing", () => listingContract(context));
    describe("multipart uploads", () => multipartContract(context));
    describe("copy and batch delete", () => copyDeleteContract(context));
  });
}
