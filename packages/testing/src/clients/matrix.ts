/**
 * The client matrix: real S3 clients (aws-cli, boto3, rclone, s3cmd, GDAL, the JS SDK, minio-js, OpenDAL) against
 * one runtime, over HTTP and HTTPS (a test CA; OpenDAL over HTTP only), path-style and virtual-hosted style, on the
 * runtime's native backend and on an S3-backed bucket (s3rver). One gateway per scheme, shared by every client;
 * clients run one after another. This module lays the suite out; the world it runs against is in matrix-world.ts,
 * the flows in matrix-client-flows.ts and matrix-gdal-flows.ts.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { matrixClients } from "./adapters.js";
import { recordClientCalls, type RequestLine } from "./calls.js";
import { clientFlows } from "./matrix-client-flows.js";
import type { ClientMatrixRuntime } from "./matrix-config.js";
import { matrixContext } from "./matrix-context.js";
import { gdalFlows } from "./matrix-gdal-flows.js";
import { startMatrixWorld, type MatrixWorld } from "./matrix-world.js";

export { MATRIX_BUCKETS, MATRIX_DOMAIN, MATRIX_HOSTNAMES, MATRIX_KEY, matrixConfig, type ClientMatrixRuntime } from "./matrix-config.js";

/** Runs the client matrix against a runtime (call at the top level of a test file). */
export function runClientMatrix(name: string, runtime: ClientMatrixRuntime): void {
  describe(`client matrix: ${name}`, () => {
    let world: MatrixWorld | undefined;
    const requestLines: RequestLine[] = [];
    const onRequestLine = (line: RequestLine) => void requestLines.push(line);
    // What was started, stopped in reverse order even when the set-up failed halfway.
    const cleanups: (() => Promise<unknown>)[] = [];

    beforeAll(async () => {
      world = await startMatrixWorld(runtime, onRequestLine, cleanups);
    }, 300_000);

    afterAll(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    }, 120_000);

    const context = matrixContext(runtime, () => {
      if (!world) throw new Error("the client matrix world did not start (see the beforeAll error)");
      return world;
    });

    for (const scheme of ["http", "https"] as const) {
      describe(scheme, () => {
        for (const client of matrixClients().filter((candidate) => candidate.schemes?.includes(scheme) ?? true)) {
          describe(client.label, () => clientFlows(context, scheme, client));
        }
        describe("GDAL (/vsis3/)", () => gdalFlows(context, scheme));
      });
    }

    // Last: what the clients called, across every test above.
    recordClientCalls(name, () => requestLines);
  });
}
