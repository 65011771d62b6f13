/** Both builds of the GCS backend run the shared contract against the GCS test server, which checks every signature. */
import { runBackendContract, startGcsTestServer } from "@multistore/testing";
import { createGcsBackend as createNodeBackend } from "../src/node.js";
import { createGcsBackend as createWorkerBackend } from "../src/worker.js";

for (const [build, create] of [["node", createNodeBackend], ["worker", createWorkerBackend]] as const) {
  runBackendContract({
    name: `gcs (${build} build) on the GCS test server`,
    async setup() {
      const server = await startGcsTestServer({ buckets: ["contract"] });
      const backend = create({ bucket_name: "contract", endpoint: server.endpoint, service_account_key: server.serviceAccountKey });
      return { backend, cleanup: () => server.close() };
    },
    // Conditional writes map to generation preconditions and aborts to the XML API's DELETE ?uploadId; the server
    // implements both as documented, so nothing is left out.
    capabilities: { conditionalWrites: true, abortMultipart: true },
  });
}
