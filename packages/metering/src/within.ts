/** A bound on a wait: the promise, or `failure()` once `timeoutMs` passed (its timer cleared either way). */
export function within<T>(promise: Promise<T>, timeoutMs: number, failure: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(failure()), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
