/** GCS control requests (listings here) are bounded on both builds: the shared suite, against real HTTP peers. */
import { controlBoundsSuite } from "@multistore/testing";
import { createGcsBackend as createNodeBackend } from "../src/node.js";
import { createGcsBackend as createWorkerBackend } from "../src/worker.js";

const OPTIONS = { bucket_name: "bounded", skip_signature: "true" };

controlBoundsSuite("GCS", {
  node: (endpoint, controlTimeoutMs) => createNodeBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs }),
  worker: (endpoint, controlTimeoutMs) => createWorkerBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs }),
});
