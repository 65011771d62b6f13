/**
 * The gateway's view of a node:http request. A class rather than an object literal: its `signal` is a getter on the
 * prototype, made only when read (the gateway reads it for work it does itself, a copy between stores), where a getter
 * in a literal costs a runtime call per request (about 0.5 µs, measured).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { GatewayRequest, RequestContext } from "@multistore/core";
import { readHead, readLimited } from "./request-body.js";

/** A signal aborted when the client goes away before its response is complete. */
function clientSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const left = () => {
    if (!response.writableFinished) controller.abort(new Error("client went away"));
  };
  if (response.destroyed) left();
  else response.once("close", left);
  return controller.signal;
}

/** A node:http request as `gateway.handle` takes it. */
export class NodeGatewayRequest implements GatewayRequest<Readable> {
  /** HTTP method. */
  readonly method: string;
  /** Path and query as sent. */
  readonly target: string;

  constructor(
    /** The request, which is also its body stream. */
    readonly body: IncomingMessage,
    private readonly response: ServerResponse,
    /** The request's headers, read once. */
    readonly headers: Headers,
    /** The client's address. */
    readonly clientAddress: string | undefined,
    /** Called once the gateway admitted the request. */
    readonly onAdmitted: (context: RequestContext) => void,
    /** Whether a peer is a trusted proxy (its forwarded headers believed); absent: none is. */
    private readonly trustsPeer?: (peer: string | undefined) => boolean,
  ) {
    this.method = body.method ?? "GET";
    this.target = body.url ?? "/";
  }

  /** Reads at most `limit` bytes of the body. */
  readBody(limit: number): Promise<Uint8Array> {
    return readLimited(this.body, limit, this.headers);
  }

  /** Reads the body's head (a form upload's fields); what follows stays in the request, streamed on next. */
  readBodyHead(end: (bytes: Uint8Array) => number): Promise<Uint8Array> {
    // node:http drops a body nobody read once the answer is sent, but not one whose reading began: the rest of a form
    // refused after its head is dropped here, or the connection could not carry the client's next request.
    this.response.once("finish", () => {
      if (!this.body.readableEnded && this.body.readableFlowing !== true) this.body.resume();
    });
    return readHead(this.body, end);
  }

  /**
   * The scheme and host the client addressed: the Host header, and the socket's TLS or, from a trusted proxy that
   * forwarded the request (with X-Forwarded-For), its X-Forwarded-Proto.
   */
  get origin(): string | undefined {
    const host = this.headers.get("host");
    if (host === null) return undefined;
    const socket = this.body.socket as TLSSocket;
    const proxied = this.headers.has("x-forwarded-for") && this.trustsPeer?.(socket.remoteAddress) === true;
    const forwarded = proxied ? this.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() : undefined;
    const scheme = forwarded === "https" || forwarded === "http" ? forwarded : socket.encrypted ? "https" : "http";
    return `${scheme}://${host}`;
  }

  /** Aborted when the client goes away before its response is complete. */
  get signal(): AbortSignal {
    return clientSignal(this.response);
  }
}
