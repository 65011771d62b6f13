/**
 * Small string helpers for paths. Kept free of `node:path` so the package runs on Workers; only POSIX paths are
 * understood, as the `fs` backend targets POSIX hosts.
 */

/** Renders a document path: `buckets[1].backend_options.bucket_name`; odd keys are quoted: `a["my key"]`. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Whether `path` is absolute in POSIX terms. */
export function isAbsolutePosixPath(path: string): boolean {
  return path.startsWith("/");
}

/**
 * Resolves `path` against `baseDirectory` (when `path` is relative) and normalizes `.`, `..` and repeated slashes.
 * A relative base gives a relative result (leading `..` are kept), because the caller's working directory is not
 * knowable without `node:process`.
 */
export function resolvePosixPath(baseDirectory: string, path: string): string {
  const combined = isAbsolutePosixPath(path) ? path : `${baseDirectory}/${path}`;
  const absolute = isAbsolutePosixPath(combined);
  const segments: string[] = [];
  for (const segment of combined.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      const last = segments[segments.length - 1];
      if (last !== undefined && last !== "..") segments.pop();
      // Above the root there is nothing to pop: `/..` is `/`.
      else if (!absolute) segments.push("..");
      continue;
    }
    segments.push(segment);
  }
  const joined = segments.join("/");
  if (absolute) return `/${joined}`;
  return joined === "" ? "." : joined;
}
