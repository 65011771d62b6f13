/** Which hosts count as this machine: the one place that lets a token travel over plain http. */
import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "../src/index.js";

describe("isLoopbackHost", () => {
  it("accepts localhost, 127.0.0.0/8 and [::1] as URL.hostname gives them", () => {
    for (const url of ["http://localhost:9/", "http://127.0.0.1/", "http://127.10.20.30:8080/x", "http://[::1]:9000/"]) {
      expect(isLoopbackHost(new URL(url).hostname)).toBe(true);
    }
  });

  it("refuses every other host, including look-alikes", () => {
    for (const url of ["http://10.0.0.8/", "http://128.0.0.1/", "http://localhost.example/", "http://127.0.0.1.nip.io/", "http://[::2]/", "http://example.com/"]) {
      expect(isLoopbackHost(new URL(url).hostname)).toBe(false);
    }
  });
});
