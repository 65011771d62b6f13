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
