/** Without `@azure/storage-blob` installed, the Node build's first signed request fails naming the package. */
import { describe, expect, it, vi } from "vitest";

vi.mock("@azure/storage-blob", () => {
  throw new Error("Cannot find package '@azure/storage-blob'");
});

describe("the Node build without its SDK", () => {
  it("is created, and its first signature fails with an error naming the package to install", async () => {
    const { createAzureBackend } = await import("../src/node.js");
    const backend = createAzureBackend({ account_name: "acct", container_name: "data", access_key: "c2VjcmV0", endpoint: "https://acct.blob.core.windows.net" });
    const failure = backend.prepareObject({ operation: "GetObject", key: "a.txt", headers: new Headers() });
    await expect(failure).rejects.toThrow("could not load @azure/storage-blob (is it installed beside @multistore/backend-azure?)");
    await expect(failure).rejects.toMatchObject({ cause: expect.any(Error) });
  });
});
