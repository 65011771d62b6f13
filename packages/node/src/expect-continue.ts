/**
 * `Expect: 100-continue` answered once the request may go on. node:http answers it at once by default, so a client
 * that may not upload (a bad signature, no permission) was invited to send its whole body before hearing 403. With
 * `awaitingContinue(listener)` as the server's `checkContinue` listener, the runtime sends `100 Continue` only when
 * it starts reading the body (`continueBody`), after the gateway authenticated and authorized the request. A request
 * answered without its body closes its connection: the body the client was ready to send never comes, and the
 * connection could not be read past it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Requests waiting for `100 Continue`, with their response and its keep-alive as node:http decided it. */
const waiting = new WeakMap<IncomingMessage, { response: ServerResponse; keepAlive: boolean }>();

/** Wraps a request listener for node:http's `checkContinue` event (see the module's comment). */
export function awaitingContinue(listener: (request: IncomingMessage, response: ServerResponse) => void): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    // A request declaring an empty body has nothing to hold back: continued at once, as node:http would, which keeps
    // its connection (node:http closes one whose 100 Continue was never sent).
    if (request.headers["content-length"] === "0") response.writeContinue();
    else {
      waiting.set(request, { response, keepAlive: response.shouldKeepAlive });
      response.shouldKeepAlive = false;
    }
    listener(request, response);
  };
}

/** Sends `100 Continue` if the request waits for it (once): call as the body starts being read. */
export function continueBody(request: IncomingMessage): void {
  const entry = waiting.get(request);
  if (entry === undefined) return;
  waiting.delete(request);
  entry.response.shouldKeepAlive = entry.keepAlive;
  if (!entry.response.headersSent) entry.response.writeContinue();
}
