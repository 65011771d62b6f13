/** The shared backend contract, run against the fs backend on a temp directory. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBackendContract } from "@multistore/testing/contract";
import { createFsBackend } from "../src/index.js";

runBackendContract({
  name: "fs",
  async setup() {
    const root = await mkdtemp(join(tmpdir(), "multistore-fs-contract-"));
    return { backend: createFsBackend({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  capabilities: { conditionalWrites: true, abortMultipart: true, listParts: true, listUploads: true, partCopy: true },
});
