/** Resetting a client's connection (RST), plain or TLS. */
import type { Socket } from "node:net";

/**
 * Resets a connection: a client that does not read would never take a FIN (the kernel would keep the connection and
 * its unsent bytes for minutes), and a body delimited by the connection's end must not look complete. A TLS socket
 * cannot be reset itself (node throws for its handle): the TCP socket under it is (node keeps it as `_parent`), or,
 * failing that, it is closed.
 */
export function resetConnection(socket: Socket): void {
  try {
    socket.resetAndDestroy();
    return;
  } catch {
    // A TLS socket: below.
  }
  const transport = (socket as Socket & { _parent?: unknown })._parent;
  try {
    if (transport !== null && typeof transport === "object" && typeof (transport as Socket).resetAndDestroy === "function") (transport as Socket).resetAndDestroy();
  } catch {
    // Not a TCP socket either: the close below has to do.
  }
  socket.destroy();
}
