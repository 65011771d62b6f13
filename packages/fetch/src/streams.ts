/**
 * Pass-through streams that keep a body's length: workerd's `FixedLengthStream` (the runtime then sends
 * `Content-Length`) and `IdentityTransformStream`, pumped natively; elsewhere a plain `TransformStream`.
 */
type PassThrough = { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };

interface StreamGlobals {
  FixedLengthStream?: new (length: number) => PassThrough;
  IdentityTransformStream?: new () => PassThrough;
}

const globals = globalThis as StreamGlobals;

/** Whether the runtime has workerd's length-keeping streams. */
export function keepsLengths(): boolean {
  return globals.FixedLengthStream !== undefined;
}

/** A pass-through that keeps `length` when the runtime can (see the module's comment). */
export function lengthKeepingStream(length: number | undefined): PassThrough {
  if (length !== undefined && globals.FixedLengthStream) return new globals.FixedLengthStream(length);
  if (globals.IdentityTransformStream) return new globals.IdentityTransformStream();
  return new TransformStream<Uint8Array, Uint8Array>();
}

/**
 * Response options that send a body as it is. workerd compresses a body whose `Content-Encoding` is gzip or br unless
 * told it is encoded already (`encodeBody: "manual"`), and `fetch` decompresses such an answer unless told the same
 * (`encodeResponseBody`, `BACKEND_BYTES_AS_SENT`): an object stored gzipped must reach its client byte for byte, as S3
 * sends it. Other runtimes ignore both.
 */
export function bodyAsIs(init: ResponseInit): ResponseInit {
  return { ...init, encodeBody: "manual" } as ResponseInit;
}

/** The `fetch` option that keeps a backend's answer encoded as it was sent (see `bodyAsIs`). */
export const BACKEND_BYTES_AS_SENT = { encodeResponseBody: "manual" } as const;
