/** Path mapping on the Worker (under workerd, R2 buckets) through aws-cli and boto3. */
import { runPathMappingClients } from "@multistore/testing";
import { startWorker } from "./helpers/worker-harness.js";

runPathMappingClients("Worker (workerd, R2)", {
  listsUploads: false,
  bucket: (name) => ({ name, backend_type: "r2", backend_options: { binding: name === "noaa:goes16" ? "GOES" : "ARCHIVE" } }),
  async start(config) {
    const worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["GOES", "ARCHIVE"] });
    return { endpoint: worker.endpoint, close: () => worker.close() };
  },
});
