/** A TCP port on 127.0.0.1 that the OS had free a moment ago (for a process the tests start and point at it). */
import { createServer } from "node:net";

/** Resolves a port the OS chose for a listener on 127.0.0.1, closed again before resolving. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
