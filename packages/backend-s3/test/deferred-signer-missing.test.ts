/** Without @smithy/signature-v4 installed, the Node build's first control request fails naming the package. */
import { MockAgent } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OPTIONS } from "./helpers/fake-runtime.js";

vi.mock("@smithy/signature-v4", () => {
  throw new Error("Cannot find package '@smithy/signature-v4'");
});

let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
});

describe("the Node build without smithy's signer", () => {
  it("is created and presigns objects; its first control request fails naming the package", async () => {
    const { createS3Backend } = await import("../src/node.js");
    agent = new MockAgent();
    agent.disableNetConnect();
    const backend = createS3Backend({ ...OPTIONS, force_path_style: "true" }, { dispatcher: agent });
    await expect(backend.prepareObject({ operation: "GetObject", key: "k", headers: new Headers() })).resolves.toMatchObject({ type: "forward" });
    const failure = backend.listObjects({ prefix: "", maxKeys: 10 });
    await expect(failure).rejects.toThrow("could not load @smithy/signature-v4");
    await expect(failure).rejects.toMatchObject({ cause: expect.any(Error) });
  });
});
