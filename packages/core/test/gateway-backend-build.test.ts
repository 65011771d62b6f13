/** A bucket whose backend cannot be built: 503 ServiceUnavailable with the cause kept, never an internal error. */
import { describe, expect, it } from "vitest";
import { createGateway, type GatewayOptions } from "../src/index.js";
import { bucket, gatewayRequest, MemoryBackend } from "./helpers/memory-backend.js";
import { NOW } from "./helpers/sign.js";

const BUCKETS = [bucket("public", { anonymous_access: true })];

function make(options: Partial<GatewayOptions<Uint8Array>> = {}) {
  return createGateway<Uint8Array>({
    buckets: { getBucket: (name) => BUCKETS.find((b) => b.name === name), listBuckets: () => BUCKETS },
    credentials: { getCredential: () => undefined },
    backends: { memory: () => new MemoryBackend() },
    now: () => NOW,
    ...options,
  });
}

describe("a bucket whose backend cannot be built", () => {
  it("answers 503 ServiceUnavailable (a registry's options the backend refuses), not 500, keeping the cause", async () => {
    const errors: unknown[] = [];
    const gateway = make({ backends: { memory: () => { throw new TypeError("bucket_name is not a bucket name"); } }, onError: (error) => errors.push(error) });
    const result = await gateway.handle(gatewayRequest("GET", "/public/a.txt"));
    expect(result.type).toBe("response");
    const response = (result as { response: { status: number; body: unknown } }).response;
    expect(response.status).toBe(503);
    expect(String(response.body)).toContain("<Code>ServiceUnavailable</Code>");
    expect(String(response.body)).not.toContain("bucket_name");
    expect((result as { error?: unknown }).error).toMatchObject({ code: "ServiceUnavailable", cause: expect.any(TypeError) });
    // Not an internal error of the gateway's.
    expect(errors).toEqual([]);
  });

  it("answers 503 for a bucket whose backend_type the runtime does not serve (an r2 bucket from a registry on Node)", async () => {
    const errors: unknown[] = [];
    const gateway = make({ backends: {}, onError: (error) => errors.push(error) });
    const result = await gateway.handle(gatewayRequest("GET", "/public/a.txt"));
    const response = (result as { response: { status: number; body: unknown } }).response;
    expect([response.status, String(response.body).match(/<Code>([^<]+)/)?.[1]]).toEqual([503, "ServiceUnavailable"]);
    expect((result as { error?: unknown }).error).toMatchObject({ code: "ServiceUnavailable", cause: expect.objectContaining({ message: expect.stringContaining("no backend registered") }) });
    expect(errors).toEqual([]);
  });
});
