/**
 * The gateway's own backend requests: what a runtime lends core to copy between stores (a source GET streamed into
 * a destination PUT), where no backend can copy server-side.
 */

/** A backend request as a forward dispatch states it. */
export interface TransportRequest {
  /** HTTP method. */
  method: string;
  /** The signed backend URL. */
  url: string;
  /** Headers to send (`content-length` set when there is a body). */
  headers: Headers;
}

/** The backend's answer: its status and headers, and its body as the runtime's stream (unread). */
export interface TransportResponse<B> {
  /** HTTP status. */
  status: number;
  /** Response headers as the backend sent them. */
  headers: Headers;
  /** The body, or null when there is none. */
  body: B | null;
}

/** How one request is sent: for whom (its bucket's pool, where the runtime keeps one) and until when. */
export interface TransportOptions {
  /** The bucket the request is for (the client's name). */
  bucket: string;
  /** Aborts the request (and its body, either way). */
  signal: AbortSignal;
}

/**
 * A runtime's HTTP client for the gateway's own backend requests, streaming both ways with `B`, the runtime's stream
 * type. Every wait is bounded by the runtime (connect, headers, silence in a body).
 */
export interface BackendTransport<B> {
  /** Sends `request` with `body` (its length in `content-length`); resolves once the response's headers arrived. */
  send(request: TransportRequest, body: B | null, options: TransportOptions): Promise<TransportResponse<B>>;
  /** Reads at most `limit` bytes of a body as UTF-8 text (an error document), and drops the rest. */
  text(body: B, limit: number): Promise<string>;
  /** Drops a body that will not be read, releasing its connection. */
  discard(body: B): void;
}
