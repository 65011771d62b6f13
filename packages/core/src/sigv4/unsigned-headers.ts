/**
 * SigV4 binds only the headers a request names in SignedHeaders. An `x-amz-*` header outside them would still act
 * (`x-amz-copy-source` turns a presigned PUT into a copy of whatever the signer may read; metadata, tagging, ACLs and
 * storage classes would be set by whoever holds the URL): S3 refuses such a request, and so do we.
 */
import { S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";

/**
 * Tolerated unsigned. `x-amz-content-sha256`, as S3 tolerates it: its value is the payload hash the signature covers
 * (the canonical request's last line), so it is bound either way. `x-amz-cf-id`: the request id CloudFront adds to
 * every request it passes on (a gateway behind it would otherwise refuse every signed request); nothing reads it.
 */
function isExempt(name: string): boolean {
  return name === "x-amz-content-sha256" || name === "x-amz-cf-id";
}

function isUnsignedAmz(name: string, signed: readonly string[]): boolean {
  return name.startsWith("x-amz-") && !isExempt(name) && !signed.includes(name);
}

/**
 * Throws S3's `AccessDenied` ("There were headers present in the request which were not signed", with the names in
 * `HeadersNotSigned`) when `headers` hold an `x-amz-*` header not in `signedHeaders` (lowercase names).
 */
export function checkAmzHeadersSigned(headers: Headers, signedHeaders: readonly string[]): void {
  const unsigned: string[] = [];
  if (headers instanceof HeaderMap) {
    // One pass over the names the request has (a handful), no iterator.
    for (const name in headers.record) {
      if (isUnsignedAmz(name, signedHeaders)) unsigned.push(name);
    }
  } else {
    headers.forEach((_value, name) => {
      if (isUnsignedAmz(name, signedHeaders)) unsigned.push(name);
    });
  }
  if (unsigned.length > 0) {
    throw new S3Error("AccessDenied", {
      message: "There were headers present in the request which were not signed",
      details: { HeadersNotSigned: unsigned.sort().join(", ") },
    });
  }
}
