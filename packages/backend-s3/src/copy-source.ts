/** The copy source of CopyObject and UploadPartCopy on an S3 backend. */
import { S3Error } from "@multistore/core";
import { encodeKeyPath, type CopyRequest, type PartCopyRequest, type WriteResult, type XmlElement } from "@multistore/core/backend";
import { requiredText } from "./s3-xml.js";
import type { S3Backend } from "./s3-backend-base.js";

/**
 * `x-amz-copy-source` naming the source in its backend bucket, with the copy's source conditions (CopyObject adds
 * the rest of its headers). Throws NotImplemented for a source in another copy domain.
 */
export function copySourceHeaders(request: CopyRequest<unknown> | PartCopyRequest<unknown>, backend: S3Backend): Record<string, string> {
  const source = request.sourceBackend as S3Backend;
  if (source.copyDomain !== backend.copyDomain || typeof source.bucketName !== "string") {
    throw new S3Error("NotImplemented", { message: "Copying between buckets on different storage endpoints is not supported." });
  }
  let copySource = `/${source.bucketName}/${encodeKeyPath(request.sourceKey)}`;
  if (request.sourceVersionId !== undefined) copySource += `?versionId=${encodeURIComponent(request.sourceVersionId)}`;
  const headers: Record<string, string> = { "x-amz-copy-source": copySource };
  request.headers.forEach((value, name) => {
    if (name.startsWith("x-amz-copy-source-if-")) headers[name] = value;
  });
  return headers;
}


/** A CopyObjectResult or CopyPartResult, with the response's version header (`versionHeader`) passed on. */
export function copyResultOf(root: XmlElement | undefined, responseHeaders: Headers, versionHeader: string): WriteResult {
  const lastModified = root ? root.children.find((child) => child.name === "LastModified")?.text : undefined;
  const extra = new Headers();
  const versionId = responseHeaders.get(versionHeader);
  if (versionId) extra.set(versionHeader, versionId);
  const checksums: Record<string, string> = {};
  let checksumType: string | undefined;
  for (const child of root?.children ?? []) {
    // ChecksumCRC32 … ChecksumSHA256, shown again in the gateway's own CopyObjectResult (which shows the algorithms
    // core knows).
    if (child.name === "ChecksumType") checksumType = child.text === "" ? undefined : child.text;
    else if (child.name.startsWith("Checksum") && child.text !== "") checksums[`x-amz-checksum-${child.name.slice("Checksum".length).toLowerCase()}`] = child.text;
  }
  return {
    etag: requiredText(root, "ETag"),
    ...(lastModified !== undefined && { lastModified: new Date(lastModified) }),
    headers: extra,
    ...(Object.keys(checksums).length > 0 && { checksums, ...(checksumType !== undefined && { checksumType }) }),
  };
}
