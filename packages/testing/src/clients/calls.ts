/**
 * Which S3 calls the matrix's clients make in their default flows, read from the gateways' request lines: each line
 * is put down to the client whose test was running, a test at the end fails when any call was answered `501
 * NotImplemented` (every call a client makes must be supported, or refused on purpose with another answer), and the
 * calls per client are written to `test-results/client-calls/<runtime>.json` (for docs/clients.md).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";

/** A request line as both runtimes write it (one JSON object per request). */
export type RequestLine = Record<string, unknown>;

/** What the client calls of one client came to: operations by name, with the statuses they were answered with. */
export type ClientCalls = Record<string, Record<string, number[]>>;

/** The client a test belongs to: the describe block under the scheme (`client matrix: x > https > rclone > ...`). */
function clientOf(testName: string | undefined): string {
  const parts = (testName ?? "").split(" > ");
  return parts.length >= 4 ? parts[2]! : (parts.at(-1) ?? "?");
}

/** Registers the recording around the matrix's tests and the final check (call last, inside the matrix's describe). */
export function recordClientCalls(runtimeName: string, lines: () => RequestLine[]): void {
  const calls: ClientCalls = {};
  let seen = 0;
  beforeEach(() => {
    seen = lines().length;
  });
  afterEach(() => {
    const client = clientOf(expect.getState().currentTestName);
    const all = lines();
    for (const line of all.slice(seen)) {
      const operation = typeof line.operation === "string" ? line.operation : `(unparsed ${String(line.method)})`;
      const statuses = ((calls[client] ??= {})[operation] ??= []);
      const status = Number(line.status);
      if (!statuses.includes(status)) statuses.push(status);
    }
    seen = all.length;
  });

  it("refuses none of the calls the clients made as not implemented (calls listed in test-results/client-calls)", () => {
    const directory = join(process.cwd(), "test-results", "client-calls");
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `${runtimeName.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase()}.json`), `${JSON.stringify(calls, null, 2)}\n`);
    expect(Object.keys(calls).length, "no request lines were recorded: the runtime must pass its lines to the matrix").toBeGreaterThan(3);
    const refused = Object.entries(calls).flatMap(([client, operations]) =>
      Object.entries(operations)
        .filter(([, statuses]) => statuses.includes(501))
        .map(([operation]) => `${client}: ${operation}`),
    );
    expect(refused).toEqual([]);
  });
}
