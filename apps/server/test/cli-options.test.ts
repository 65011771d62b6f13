/** The server's flags for long answers: `--keep-alive-after` and `--keep-alive-every` (seconds), or their variables. */
import { describe, expect, it } from "vitest";
import { parseCli } from "../src/cli-options.js";

const directory = "/srv/multistore";

describe("--keep-alive-after and --keep-alive-every", () => {
  it("are seconds, given as flags or in the environment, and leave the defaults alone when unset", () => {
    expect(parseCli(["--keep-alive-after", "5", "--keep-alive-every", "2"], {}, directory).keepAlive).toEqual({ afterMs: 5000, everyMs: 2000 });
    expect(parseCli([], { MULTISTORE_KEEP_ALIVE_AFTER: "20" }, directory).keepAlive).toEqual({ afterMs: 20_000 });
    expect(parseCli(["--keep-alive-every", "1"], { MULTISTORE_KEEP_ALIVE_EVERY: "30" }, directory).keepAlive).toEqual({ everyMs: 1000 });
    expect(parseCli([], {}, directory).keepAlive).toBeUndefined();
  });

  it("refuses what is no whole number of seconds from 1 to 3600, naming the flag", () => {
    for (const [flag, value] of [["--keep-alive-after", "0"], ["--keep-alive-after", "1.5"], ["--keep-alive-every", "soon"], ["--keep-alive-every", "3601"]]) {
      expect(() => parseCli([flag!, value!], {}, directory), `${flag} ${value}`).toThrow(`${flag} must be a whole number from 1 to 3600, got "${value}"`);
    }
  });
});
