/**
 * Real S3 clients against the Worker as it ships (wrangler's bundle in workerd via miniflare): HTTP and HTTPS (a
 * test CA), VIRTUAL_HOST_DOMAIN for virtual-hosted style, an R2 bucket and an s3rver-backed bucket.
 */
import { runClientMatrix } from "@multistore/testing";
import { startWorker } from "../helpers/worker-harness.js";

const R2_BINDING = "MATRIX_NATIVE";

runClientMatrix("cloudflare worker (workerd)", {
  native: () => ({ backend_type: "r2", backend_options: { binding: R2_BINDING } }),
  nativeLabel: "R2",
  // Each miniflare instance has its own R2 storage.
  nativeShared: false,
  // The Node matrix runs each client's 20 MiB flow on one backend, this one on the other.
  flipLargeBackends: true,
  // workerd's local server never sends 100 Continue (see RuntimeExceptions.noExpectContinue).
  sdkDefaults: { expectContinueHeader: false },
  async start(config, { domain, tls, onRequestLine }) {
    const worker = await startWorker({
      bindings: { PROXY_CONFIG: JSON.stringify(config), VIRTUAL_HOST_DOMAIN: domain },
      r2Buckets: [R2_BINDING],
      ...(tls && { tls: { cert: tls.cert, key: tls.key } }),
      onLog: (line) => {
        if (line.includes('"level":"error"')) console.error(line);
        if (line.startsWith("{") && line.includes('"requestId"')) onRequestLine(JSON.parse(line) as Record<string, unknown>);
      },
    });
    return { endpoint: worker.endpoint, close: () => worker.close() };
  },
});
