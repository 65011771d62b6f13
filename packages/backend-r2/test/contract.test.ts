/** The shared backend contract, run against miniflare's local R2 through the binding proxy. */
import { runBackendContract } from "@multistore/testing/contract";
import { createR2Backend } from "../src/index.js";
import { installFixedLengthStream, startR2 } from "./support.js";

installFixedLengthStream();

runBackendContract({
  name: "r2",
  async setup() {
    const { bucket, dispose } = await startR2();
    return { backend: createR2Backend({ bucket }), cleanup: dispose };
  },
  capabilities: { conditionalWrites: true, abortMultipart: true, partCopy: true },
  nativeBody: "web",
  // miniflare's part ETags are opaque ids; real R2 returns each part's MD5 (developers.cloudflare.com/r2/objects/multipart-objects).
  emulatorGaps: { partEtagNotMd5: true },
});
