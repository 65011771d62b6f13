/** An HTTP peer whose answers misbehave, for tests of a client's bounds (a backend's control requests, say). */
import { createServer } from "node:http";

/** A started peer. */
export interface AnswerPeer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Stops it, cutting its connections. */
  close(): Promise<void>;
}

/**
 * Starts a peer that accepts requests and never answers them (`silent`), or answers every request with a body
 * sent a byte every 100 ms that never ends (`trickle`: a silence-based timeout never fires), or 1 MiB at a time as
 * fast as it is read, forever (`endless`); with `status` (default 200) and an XML content type.
 */
export async function startAnswerPeer(kind: "silent" | "trickle" | "endless", options: { status?: number } = {}): Promise<AnswerPeer> {
  const server = createServer((request, response) => {
    request.resume();
    if (kind === "silent") return;
    response.writeHead(options.status ?? 200, { "content-type": "application/xml" });
    const chunk = kind === "trickle" ? " " : Buffer.alloc(1 << 20, 32);
    const pump = () => {
      while (!response.destroyed && response.write(chunk) && kind === "endless");
    };
    const timer = kind === "trickle" ? setInterval(pump, 100) : undefined;
    response.on("drain", pump);
    response.on("close", () => clearInterval(timer));
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
