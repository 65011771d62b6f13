/** Metrics whose module cannot be loaded: the server refuses to start with them rather than serve uncounted. */
import { describe, expect, it, vi } from "vitest";
import { createLogger } from "../src/logger.js";
import { serverMetrics } from "../src/metrics.js";

vi.mock("@multistore/metering/prometheus", () => {
  throw new Error("Cannot find package 'prom-client'");
});

describe("metrics without their module", () => {
  it("fail the listen that would open the server", async () => {
    const metrics = serverMetrics({ token: "secret-token" }, createLogger("silent"));
    // (vitest wraps the factory's error in its own, the original as the cause.)
    const failure = await metrics.listen().then(
      () => undefined,
      (error: unknown) => error as Error & { cause?: Error },
    );
    expect(failure).toBeInstanceOf(Error);
    expect(`${failure?.message} ${failure?.cause?.message}`).toContain("prom-client");
  });
});
