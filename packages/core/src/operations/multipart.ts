/** CreateMultipartUpload, CompleteMultipartUpload and AbortMultipartUpload: small XML in, small XML out. */
import { S3Error } from "../errors.js";
import { forwardedRequestHeaders } from "../headers.js";
import { keepsObjectSettings } from "../object-settings.js";
import { xmlResponse } from "../responses.js";
import { childElements, childText, clientXmlText, parseClientXml, xmlElement } from "../xml.js";
import type { Backend, CompletedPart, PlainResponse } from "../types.js";

/** Parts a CompleteMultipartUpload may name. */
export const MAX_PARTS = 10000;

/** Starts an upload. */
export async function createMultipartUpload(
  backend: Backend<unknown>,
  bucket: string,
  clientKey: string,
  key: string,
  headers: Headers,
  wrapUploadId: (backendId: string) => Promise<string> = async (backendId) => backendId,
): Promise<PlainResponse<never>> {
  const { uploadId } = await backend.createMultipartUpload(key, forwardedRequestHeaders(headers, { settings: keepsObjectSettings(backend) }));
  return xmlResponse(
    "InitiateMultipartUploadResult",
    xmlElement("Bucket", bucket) + xmlElement("Key", clientKey) + xmlElement("UploadId", await wrapUploadId(uploadId)),
  );
}

/** Parses a CompleteMultipartUpload document; parts must be ascending. */
export function parseCompleteMultipartUpload(text: string): CompletedPart[] {
  const root = parseClientXml(text, "CompleteMultipartUpload");
  const parts = childElements(root, "Part").map((part) => {
    const numberText = childText(part, "PartNumber")?.trim() ?? "";
    const etag = childText(part, "ETag")?.trim();
    if (!/^\d{1,5}$/.test(numberText) || etag === undefined || etag === "") throw new S3Error("MalformedXML");
    const partNumber = Number(numberText);
    if (partNumber < 1 || partNumber > MAX_PARTS) {
      throw new S3Error("InvalidArgument", { message: "Part number must be an integer between 1 and 10000, inclusive" });
    }
    const checksums: Record<string, string> = {};
    for (const child of part.children) if (child.name.startsWith("Checksum")) checksums[child.name] = child.text.trim();
    return { partNumber, etag, ...(Object.keys(checksums).length > 0 && { checksums }) };
  });
  if (parts.length === 0) {
    throw new S3Error("MalformedXML", { message: "The XML you provided did not list any parts." });
  }
  if (parts.length > MAX_PARTS) throw new S3Error("MalformedXML", { message: "Too many parts." });
  for (let index = 1; index < parts.length; index++) {
    if (parts[index]!.partNumber <= parts[index - 1]!.partNumber) throw new S3Error("InvalidPartOrder");
  }
  return parts;
}

/** Completes an upload; conditional headers (`If-None-Match: *`, `If-Match`) are the backend's to honour. */
export async function completeMultipartUpload(
  backend: Backend<unknown>,
  bucket: string,
  clientKey: string,
  key: string,
  uploadId: string,
  body: Uint8Array,
  headers: Headers,
): Promise<PlainResponse<never>> {
  const parts = parseCompleteMultipartUpload(clientXmlText(body));
  const result = await backend.completeMultipartUpload(key, uploadId, parts, forwardedRequestHeaders(headers));
  const response = xmlResponse(
    "CompleteMultipartUploadResult",
    xmlElement("Location", `/${bucket}/${clientKey}`) + xmlElement("Bucket", bucket) + xmlElement("Key", clientKey) + xmlElement("ETag", result.etag),
  );
  result.headers?.forEach((value, name) => response.headers.set(name, value));
  return response;
}

/** Aborts an upload: 204. */
export async function abortMultipartUpload(backend: Backend<unknown>, key: string, uploadId: string): Promise<PlainResponse<never>> {
  await backend.abortMultipartUpload(key, uploadId);
  return { status: 204, headers: new Headers(), body: null };
}
