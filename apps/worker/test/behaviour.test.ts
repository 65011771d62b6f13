/** The shared S3 behaviour suite against the Worker (workerd via miniflare), R2 bindings as its native backend. */
import { BUCKETS, runS3BehaviourSuite } from "@multistore/testing";
import { startWorker } from "./helpers/worker-harness.js";

const binding = (name: string) => name.toUpperCase().replace(/-/g, "_");

runS3BehaviourSuite(
  "cloudflare worker",
  async (config, options) => {
    const worker = await startWorker({
      bindings: {
        PROXY_CONFIG: JSON.stringify(config),
        ...(options.domain && { VIRTUAL_HOST_DOMAIN: options.domain }),
        ...(options.keepAlive && { KEEP_ALIVE_AFTER_MS: String(options.keepAlive.afterMs), KEEP_ALIVE_EVERY_MS: String(options.keepAlive.everyMs) }),
      },
      r2Buckets: [BUCKETS.native, BUCKETS.nativeOther, BUCKETS.publicNative].map(binding),
      // One JSON line per request would drown the test output; errors are still shown.
      onLog: (line) => {
        if (line.includes('"level":"error"')) console.error(line);
      },
    });
    return { endpoint: worker.endpoint, close: () => worker.close() };
  },
  {
    native: (name) => ({ backend_type: "r2", backend_options: { binding: binding(name) } }),
    exceptions: {
      dotSegmentsNormalized: "workerd (like Cloudflare's edge) resolves ./.. in request URLs before the Worker sees them",
      nativePartEtagNotMd5: "miniflare's local R2 returns opaque part ETags; real R2 returns each part's MD5",
      noExpectContinue: "workerd's local HTTP server does not send 100 Continue (Cloudflare's edge does)",
      nativeChecksumsShaHeadersOnly: "R2 stores SHA-1/SHA-256 digests given before the upload, and no CRC; trailer checksums are verified, not stored",
      nativeListPartsUnsupported: "R2's Workers binding has no call that lists an upload's parts",
      nativeKeepsNoTags: "R2 has no object tags, and its custom metadata cannot change without rewriting the object",
      nativeKeepsNoStorageClass: "miniflare's local R2 keeps no storage class (the r2 package's tests check the storageClass option R2 is sent)",
    },
  },
);
