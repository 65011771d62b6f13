/**
 * Metrics whose module loads when they are asked for: a request that ends before the module is loaded is still
 * counted, once, and a module that cannot load fails `loaded` (which the server awaits before listening).
 */
import type { RequestContext, RequestOutcome } from "@multistore/core";
import { describe, expect, it, vi } from "vitest";
import { deferredPrometheusMetrics } from "../src/deferred-metrics.js";

const gate = vi.hoisted(() => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open, fail: false };
});
vi.mock("@multistore/metering/prometheus", async (importOriginal) => {
  await gate.opened;
  if (gate.fail) throw new Error("Cannot find package 'prom-client'");
  return importOriginal();
});

const context = { identity: { type: "anonymous" }, operation: "GetObject", bucket: "photos", bucketConfig: {} } as unknown as RequestContext;

describe("deferred Prometheus metrics", () => {
  it("count a request that ends before the module is loaded, once", async () => {
    const metrics = deferredPrometheusMetrics(false);
    let loaded = false;
    void metrics.loaded().then(() => {
      loaded = true;
    });
    const counted = metrics.middleware.after!(context, { status: 200, bytesSent: 10, durationMs: 3, served: "forward" } as RequestOutcome);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(loaded).toBe(false);
    gate.open();
    await counted;
    await metrics.middleware.after!(context, { status: 200, bytesSent: 5, durationMs: 3, served: "forward" } as RequestOutcome);
    const text = await metrics.render();
    expect(text).toContain('multistore_requests_total{bucket="photos",principal="anonymous",operation="GetObject",status="200"} 2');
    expect(text).toContain('multistore_bytes_sent_total{bucket="photos",principal="anonymous",operation="GetObject",status="200"} 15');
    expect(metrics.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});
