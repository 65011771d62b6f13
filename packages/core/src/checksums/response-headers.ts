/** Returning stored checksums on GetObject / HeadObject, as S3 does: only when asked, and only for whole objects. */

/** Whether a read asks for checksums (`x-amz-checksum-mode: ENABLED`). */
export function wantsChecksums(requestHeaders: Headers): boolean {
  return requestHeaders.get("x-amz-checksum-mode")?.trim().toUpperCase() === "ENABLED";
}

/**
 * Sets the stored checksums (`x-amz-checksum-<algorithm>` -> base64) on a read's response when the request asks for
 * them and the whole object is served: a checksum describes the whole object, so a client would fail a range
 * against it (S3 sends none for ranges). `type` is S3's `x-amz-checksum-type` (FULL_OBJECT for single-part writes).
 */
export function setChecksumHeaders(
  responseHeaders: Headers,
  requestHeaders: Headers,
  checksums: Record<string, string> | undefined,
  options: { ranged: boolean; type?: "FULL_OBJECT" | "COMPOSITE" },
): void {
  if (checksums === undefined || options.ranged || !wantsChecksums(requestHeaders)) return;
  const entries = Object.entries(checksums).filter(([name]) => name.startsWith("x-amz-checksum-"));
  for (const [name, value] of entries) responseHeaders.set(name, value);
  if (entries.length > 0) responseHeaders.set("x-amz-checksum-type", options.type ?? "FULL_OBJECT");
}
