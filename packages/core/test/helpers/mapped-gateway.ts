/** A gateway over one memory backend with a target mapping, for the tests of mapped names and namespaces. */
import { createGateway, type GatewayOptions, type TargetMapping } from "../../src/index.js";
import type { BucketConfig, StoredCredential } from "../../src/types.js";
import type { MemoryBackend } from "./memory-backend.js";
import { NOW } from "./sign.js";

/** What the gateway serves. */
export interface MappedGatewaySetup {
  mapping: TargetMapping;
  buckets: readonly BucketConfig[];
  credentials: readonly StoredCredential[];
  backend: MemoryBackend;
}

/** The gateway: every bucket on `backend`, the clock at `NOW`, `extra` options over these. */
export function mappedGateway(setup: MappedGatewaySetup, extra: Partial<GatewayOptions<Uint8Array>> = {}) {
  const { buckets, credentials } = setup;
  return createGateway<Uint8Array>({
    buckets: { getBucket: (name) => buckets.find((b) => b.name === name), listBuckets: () => [...buckets] },
    credentials: { getCredential: (id) => credentials.find((c) => c.access_key_id === id) },
    backends: { memory: () => setup.backend },
    now: () => NOW,
    targetMapping: setup.mapping,
    ...extra,
  });
}
