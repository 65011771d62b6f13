/**
 * The Node build loads `@azure/storage-blob` on a backend's first signature or SDK call, not when the package is
 * imported or a backend created: a server without Azure traffic does not carry the SDK's heap. (The deferred SDK
 * client, listing, block lists and copies, runs against Azurite in azurite.test.ts.)
 */
import { describe, expect, it, vi } from "vitest";

const sdkImports = vi.hoisted(() => ({ count: 0 }));
vi.mock("@azure/storage-blob", async (importOriginal) => {
  sdkImports.count += 1;
  return importOriginal();
});

const OPTIONS = { account_name: "acct", container_name: "data", access_key: "c2VjcmV0", endpoint: "https://acct.blob.core.windows.net" };

describe("the Node build's SDK", () => {
  it("is loaded by the first signed request, once, and signs as before", async () => {
    const { createAzureBackend } = await import("../src/node.js");
    const { createAzureBackend: createWorkerBackend } = await import("../src/worker.js");
    const now = () => new Date("2030-01-02T03:04:05Z");
    const backend = createAzureBackend(OPTIONS, { now });
    // An anonymous container's object URLs need no signature, and so no SDK.
    const anonymous = createAzureBackend({ account_name: "acct", container_name: "open", endpoint: "https://acct.blob.core.windows.net" });
    const open = await anonymous.prepareObject({ operation: "GetObject", key: "a.txt", headers: new Headers() });
    expect(open).toMatchObject({ type: "forward", url: "https://acct.blob.core.windows.net/open/a.txt" });
    expect(sdkImports.count).toBe(0);

    const [first, second] = await Promise.all([
      backend.prepareObject({ operation: "GetObject", key: "a.txt", headers: new Headers() }),
      backend.prepareObject({ operation: "GetObject", key: "b.txt", headers: new Headers() }),
    ]);
    expect(sdkImports.count).toBe(1);
    // The worker build signs with WebCrypto, without the SDK; both builds' URLs agree (sas.test.ts).
    const worker = createWorkerBackend(OPTIONS, { now });
    for (const [key, dispatch] of [["a.txt", first], ["b.txt", second]] as const) {
      const expected = await worker.prepareObject({ operation: "GetObject", key, headers: new Headers() });
      if (dispatch.type !== "forward" || expected.type !== "forward") throw new Error("expected forward dispatches");
      expect(new URL(dispatch.url).searchParams.get("sig")).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(dispatch.url).toBe(expected.url);
    }
    expect(sdkImports.count).toBe(1);
  });
});
