/**
 * A cluster worker's standard error as the primary passes it on: every line prefixed with the worker's slot, a
 * line longer than the pieces it is passed on in cut between characters, never inside one.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const module = JSON.stringify(new URL("../dist/worker-stderr.js", import.meta.url).href);

/** What the primary writes to its standard error for `text` coming from worker `slot`'s. */
function passedOn(chunks: string[], slot: number): string {
  const script = `import { Readable } from "node:stream"; import { passWorkerStderr } from ${module};
    passWorkerStderr(Readable.from(${JSON.stringify(chunks)}.map((chunk) => Buffer.from(chunk))), ${slot});`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
  expect(child.status).toBe(0);
  return child.stderr;
}

describe("passWorkerStderr", () => {
  it("prefixes every line, the last one too when it has no end", () => {
    expect(passedOn(["one\ntw", "o\n\nlast"], 3)).toBe("[worker 3] one\n[worker 3] two\n[worker 3] \n[worker 3] last\n");
  });

  it("passes a line too long to hold on in pieces, never splitting a character in two", () => {
    const line = `x${"😀".repeat(20_000)}`;
    // (Still unfinished when it passes the limit: the line's end comes in a later chunk.)
    const out = passedOn([line, "\n"], 1);
    expect(out).not.toContain("\uFFFD");
    const pieces = out.split("\n").slice(0, -1);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((piece) => piece.startsWith("[worker 1] "))).toBe(true);
    expect(pieces.map((piece) => piece.slice("[worker 1] ".length)).join("")).toBe(line);
  });
});
