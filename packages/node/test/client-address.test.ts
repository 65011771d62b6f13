/** The client address middleware sees and the anonymous cap counts: the socket's peer, or a trusted proxy's word. */
import { describe, expect, it } from "vitest";
import { clientAddressResolver, parseTrustedProxies } from "../src/client-address.js";

describe("client addresses", () => {
  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    const resolve = clientAddressResolver(undefined);
    expect(resolve("127.0.0.1", "203.0.113.7")).toBe("127.0.0.1");
    expect(resolve("::ffff:192.0.2.1", undefined)).toBe("192.0.2.1");
    expect(resolve("::1", undefined)).toBe("::1");
  });

  it("believes a trusted proxy: the right-most hop that is not itself trusted", () => {
    const resolve = clientAddressResolver(parseTrustedProxies("10.0.0.0/8, 127.0.0.1, fd00::/8"));
    expect(resolve("127.0.0.1", "203.0.113.7")).toBe("203.0.113.7");
    expect(resolve("::ffff:127.0.0.1", "203.0.113.7")).toBe("203.0.113.7");
    // A client's own claim left of the real hop is not believed; chained trusted proxies are skipped.
    expect(resolve("10.1.2.3", "198.51.100.9, 203.0.113.7, 10.9.9.9")).toBe("203.0.113.7");
    expect(resolve("fd00::1", ["2001:db8::5", "fd00::2"])).toBe("2001:db8::5");
    // An untrusted peer's header is ignored; a garbled hop ends the chain at the proxy.
    expect(resolve("192.0.2.50", "203.0.113.7")).toBe("192.0.2.50");
    expect(resolve("127.0.0.1", "203.0.113.7, not-an-address")).toBe("127.0.0.1");
    // Every hop trusted: the left-most one.
    expect(resolve("127.0.0.1", "10.0.0.5, 10.0.0.6")).toBe("10.0.0.5");
    expect(resolve("127.0.0.1", undefined)).toBe("127.0.0.1");
  });

  it("refuses entries that are not addresses or CIDR ranges, naming them", () => {
    for (const bad of ["10.0.0.0/33", "example.com", "10.0.0.0/8/1", "::1/129", "10.0.0.1/x"]) {
      expect(() => parseTrustedProxies(bad), bad).toThrow(`--trusted-proxies: "${bad}" is not an IP address or CIDR range`);
    }
  });
});
