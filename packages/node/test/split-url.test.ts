/** Forwarded URLs split into undici's origin and path, whatever origin the last one had. */
import { describe, expect, it } from "vitest";
import { splitUrl } from "../src/forward.js";

describe("splitUrl", () => {
  it("splits each URL by its own origin, also after one whose origin is a prefix of it", () => {
    const urls = [
      "http://127.0.0.1:900/bucket/a?X-Amz-Signature=1",
      "http://127.0.0.1:900/bucket/b",
      "http://127.0.0.1:9000/bucket/c",
      "http://127.0.0.1:900",
      "http://127.0.0.1:900/",
      "https://bucket.s3.example.com/k%2F1?x=/y",
      "http://127.0.0.1:900/bucket/a",
    ];
    for (let round = 0; round < 2; round++) {
      expect(urls.map(splitUrl)).toEqual([
        { origin: "http://127.0.0.1:900", path: "/bucket/a?X-Amz-Signature=1" },
        { origin: "http://127.0.0.1:900", path: "/bucket/b" },
        { origin: "http://127.0.0.1:9000", path: "/bucket/c" },
        { origin: "http://127.0.0.1:900", path: "/" },
        { origin: "http://127.0.0.1:900", path: "/" },
        { origin: "https://bucket.s3.example.com", path: "/k%2F1?x=/y" },
        { origin: "http://127.0.0.1:900", path: "/bucket/a" },
      ]);
    }
  });
});
