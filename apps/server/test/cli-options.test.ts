/** The server's flags for long answers: `--keep-alive-after` and `--keep-alive-every` (seconds), or their variables. */
import { describe, expect, it } from "vitest";
import { parseCli } from "../src/cli-options.js";
import { urlHost } from "../src/cluster.js";

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

describe("--listen", () => {
  it("takes a port alone as every address's, as :port", () => {
    expect(parseCli(["--listen", "8080"], {})).toMatchObject({ host: "0.0.0.0", port: 8080 });
    expect(parseCli([], { MULTISTORE_LISTEN: "12" })).toMatchObject({ host: "0.0.0.0", port: 12 });
    expect(parseCli(["--listen", ":9000"], {})).toMatchObject({ host: "0.0.0.0", port: 9000 });
    expect(parseCli(["--listen", "[::1]:9000"], {})).toMatchObject({ host: "::1", port: 9000 });
    for (const bad of ["::1:9000", "host", "host:", "70000", "[::1]9000"]) expect(() => parseCli(["--listen", bad], {}), bad).toThrow("--listen must be host:port");
  });
});

describe("--tls-cert and --tls-key", () => {
  it("refuse an empty value given as a flag (an unset template variable must not serve plain HTTP)", () => {
    expect(() => parseCli(["--tls-cert", "", "--tls-key", ""], {})).toThrow('--tls-cert must name a file, got ""');
    expect(() => parseCli(["--tls-cert", "c.pem", "--tls-key", ""], {})).toThrow('--tls-key must name a file, got ""');
    // An empty variable is unset.
    expect(parseCli([], { MULTISTORE_TLS_CERT: "", MULTISTORE_TLS_KEY: "" }).tlsCert).toBeUndefined();
  });
});

describe("the address in the log", () => {
  it("brackets an IPv6 host, so that the logged address parses as a URL", () => {
    expect(new URL(`http://${urlHost("::1")}:8080`).hostname).toBe("[::1]");
    expect([urlHost("127.0.0.1"), urlHost("localhost"), urlHost("[::1]")]).toEqual(["127.0.0.1", "localhost", "[::1]"]);
  });
});

describe("--workers", () => {
  it("names the variable when MULTISTORE_WORKERS gave the bad value", () => {
    expect(() => parseCli([], { MULTISTORE_WORKERS: "many" })).toThrow('MULTISTORE_WORKERS must be a whole number from 1 to 1024, got "many"');
    expect(() => parseCli(["--workers", "0"], { MULTISTORE_WORKERS: "2" })).toThrow('--workers must be a whole number');
    expect(parseCli(["--workers", "3"], { MULTISTORE_WORKERS: "many" }).workers).toBe(3);
  });
});
