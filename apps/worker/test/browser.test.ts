/** A browser as a client of the Worker (bundled by wrangler, run by workerd), on an R2 bucket. */
import { runBrowserSuite } from "@multistore/testing";
import { startWorker } from "./helpers/worker-harness.js";

runBrowserSuite("worker (workerd)", {
  bucket: (name) => ({ name, backend_type: "r2", backend_options: { binding: "WEB" } }),
  async start(config) {
    const worker = await startWorker({ bindings: { PROXY_CONFIG: JSON.stringify(config) }, r2Buckets: ["WEB"] });
    return { endpoint: worker.endpoint, close: () => worker.close() };
  },
});
