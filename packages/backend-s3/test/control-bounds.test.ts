/**
 * S3 control requests (listings here) are bounded on both builds, against a real HTTP peer: an answer trickled a
 * byte at a time is cut at the control timeout, and one without end past the size cap; both are answered 503.
 */
import { startAnswerPeer, type AnswerPeer } from "@multistore/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createS3Backend as createNodeBackend } from "../src/node.js";
import { createS3Backend as createWorkerBackend } from "../src/worker.js";

const peers: AnswerPeer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.close();
});

const OPTIONS = { region: "us-east-1", bucket_name: "b", skip_signature: "true", force_path_style: "true" };
const BOUND_MS = 500;

describe("S3 control requests", () => {
  for (const kind of ["trickle", "endless"] as const) {
    it(`are cut and answered 503 when the backend's answer is ${kind === "trickle" ? "slow" : "endless"} (both builds)`, async () => {
      const peer = await startAnswerPeer(kind);
      peers.push(peer);
      // An endless answer must be cut by its size: its bound is set far beyond the test's own.
      const controlTimeoutMs = kind === "trickle" ? BOUND_MS : 60_000;
      for (const [build, created] of [
        ["node", createNodeBackend({ ...OPTIONS, endpoint: peer.url }, { controlTimeoutMs })],
        ["worker", createWorkerBackend({ ...OPTIONS, endpoint: peer.url }, { controlTimeoutMs })],
      ] as const) {
        const started = performance.now();
        await expect(created.listObjects({ prefix: "", maxKeys: 10 } as never), build).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
        expect(performance.now() - started, build).toBeLessThan(BOUND_MS + 3000);
      }
    });
  }
});
