/**
 * The bounds every backend's control requests keep, as one suite per backend package: against a real HTTP peer, an
 * answer trickled a byte at a time is cut at the control timeout, and one without end past the size cap; both are
 * answered 503 ServiceUnavailable, on the Node and the Worker build alike.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startAnswerPeer, type AnswerPeer } from "./answer-peer.js";

/** A backend's listing, the control request the suite sends. */
interface Lister {
  listObjects(request: never): Promise<unknown>;
}

/** Registers the suite; `builds` makes each build's backend for an endpoint and a control timeout. */
export function controlBoundsSuite(name: string, builds: Record<string, (endpoint: string, controlTimeoutMs: number) => Lister>): void {
  const peers: AnswerPeer[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) await peer.close();
  });
  const boundMs = 500;

  describe(`${name} control requests`, () => {
    for (const kind of ["trickle", "endless"] as const) {
      it(`are cut and answered 503 when the backend's answer is ${kind === "trickle" ? "slow" : "endless"} (every build)`, async () => {
        const peer = await startAnswerPeer(kind);
        peers.push(peer);
        // An endless answer must be cut by its size: its bound is set far beyond the test's own.
        const controlTimeoutMs = kind === "trickle" ? boundMs : 60_000;
        for (const [build, make] of Object.entries(builds)) {
          const started = performance.now();
          await expect(make(peer.url, controlTimeoutMs).listObjects({ prefix: "", maxKeys: 10 } as never), build).rejects.toMatchObject({ code: "ServiceUnavailable", status: 503 });
          expect(performance.now() - started, build).toBeLessThan(boundMs + 3000);
        }
      });
    }
  });
}
