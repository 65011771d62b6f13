/** Federation's POST: an answer that stalls or never ends fails its step within the bound, saying which. */
import { startAnswerPeer } from "@multistore/testing";
import { describe, expect, it } from "vitest";
import { FederationError, post } from "../src/http.js";

describe("post", () => {
  it.each([
    ["trickle", "timeout", "its answer was cut off"],
    ["endless", "an answer too large", "POST"],
  ] as const)("names a %s answer (%s) within its bound", async (kind, answer, detail) => {
    const peer = await startAnswerPeer(kind);
    try {
      const started = performance.now();
      const failure = await post("STS AssumeRoleWithWebIdentity", peer.url, {}, "x", { timeoutMs: 500 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(FederationError);
      expect(failure).toMatchObject({ step: "STS AssumeRoleWithWebIdentity", answer, message: expect.stringContaining(detail) });
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await peer.close();
    }
  });
});
