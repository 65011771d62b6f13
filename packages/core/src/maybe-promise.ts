/**
 * Values that are there now or later. The request path answers synchronously when every lookup it makes does (a
 * static configuration, a cached key, a verified presigned URL): each `await` of a value that is already there still
 * costs a promise and a turn of the microtask queue, and a small GET makes about ten of them.
 */

/** A value now, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * An answer from outside core (a registry, a resolver) as a value or a native promise: another thenable is adopted,
 * so callers need only test `instanceof Promise`.
 */
export function settledOrPromise<T>(value: T | PromiseLike<T>): MaybePromise<T> {
  if (value instanceof Promise) return value;
  if (typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function") return Promise.resolve(value);
  return value as T;
}
