/** S3 control requests (listings here) are bounded on both builds: the shared suite, against real HTTP peers. */
import { controlBoundsSuite } from "@multistore/testing";
import { createS3Backend as createNodeBackend } from "../src/node.js";
import { createS3Backend as createWorkerBackend } from "../src/worker.js";

const OPTIONS = { region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" };

controlBoundsSuite("S3", {
  node: (endpoint, controlTimeoutMs) => createNodeBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs }),
  worker: (endpoint, controlTimeoutMs) => createWorkerBackend({ ...OPTIONS, endpoint }, { controlTimeoutMs }),
});
