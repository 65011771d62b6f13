/**
 * Cuts connections that stall: a client that stops sending its body, or stops reading a response we have bytes
 * for, for longer than the idle timeout. One shared timer looks at every request in flight (a request costs a set
 * insertion, not a timer of its own) and compares its socket's byte counters with the last look. Waiting for the
 * backend is not a stall of the client: a body that is complete, or a response with nothing buffered, is left alone
 * (the backend's own waits are bounded by the pool's timeouts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Why a request was cut. */
export type Stall = "client stopped sending" | "client stopped reading" | "backend stopped reading";

interface Watched {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
  bytesRead: number;
  bytesWritten: number;
  quietSince: number;
  stalled?: Stall;
}

/** Watches requests in flight; `watch` returns the handle the handler ends with `done`. */
export class Watchdog {
  private readonly watched = new Set<Watched>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly onStall: (request: IncomingMessage, stall: Stall) => void = () => {},
  ) {}

  /** Starts watching a request; `done()` stops, `stalled()` tells whether (and why) it was cut. */
  watch(request: IncomingMessage, response: ServerResponse): { done(): void; stalled(): Stall | undefined } {
    const socket = request.socket;
    const entry: Watched = { request, response, socket, bytesRead: socket.bytesRead, bytesWritten: socket.bytesWritten, quietSince: Date.now() };
    this.watched.add(entry);
    if (!this.timer && this.idleMs > 0) {
      this.timer = setInterval(() => this.look(), Math.max(50, Math.min(1000, this.idleMs / 4)));
      this.timer.unref();
    }
    return {
      done: () => {
        this.watched.delete(entry);
        if (this.watched.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
      stalled: () => entry.stalled,
    };
  }

  private look(): void {
    const now = Date.now();
    for (const entry of this.watched) {
      const { socket, request, response } = entry;
      if (socket.destroyed) {
        this.watched.delete(entry);
        continue;
      }
      if (socket.bytesRead !== entry.bytesRead || socket.bytesWritten !== entry.bytesWritten) {
        entry.bytesRead = socket.bytesRead;
        entry.bytesWritten = socket.bytesWritten;
        entry.quietSince = now;
        continue;
      }
      const stall = this.stallOf(request, response);
      if (stall === undefined) {
        entry.quietSince = now;
        continue;
      }
      if (now - entry.quietSince < this.idleMs) continue;
      entry.stalled = stall;
      this.watched.delete(entry);
      this.onStall(request, stall);
      // A reset, not a close: a client that does not read would never take the FIN, and the kernel would keep the
      // connection and its unsent bytes for minutes.
      socket.resetAndDestroy();
    }
  }

  /** What the request is waiting for, when it is waiting on a peer (undefined when waiting on nothing we bound here). */
  private stallOf(request: IncomingMessage, response: ServerResponse): Stall | undefined {
    // Response bytes we could not hand to the socket: the client is not reading.
    if (response.headersSent && !response.writableFinished && (response.writableNeedDrain || response.writableLength > 0 || socketBacklog(request.socket))) {
      return "client stopped reading";
    }
    if (!request.complete && !request.readableEnded) {
      // Bytes already read and not consumed: whoever reads the body on (the backend) has stopped.
      return request.readableLength > 0 ? "backend stopped reading" : "client stopped sending";
    }
    return undefined;
  }

  /** Stops the shared timer (server close). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }
}

function socketBacklog(socket: Socket): boolean {
  return socket.writableLength > 0 || socket.writableNeedDrain;
}
