/** DeleteObjects: every key authorized on its own; denied keys get per-key AccessDenied and are never forwarded. */
import { isAllowed } from "../authorize.js";
import { isS3Error, S3Error } from "../errors.js";
import { keyPrefixOf, validateKey } from "../keys.js";
import { xmlResponse } from "../responses.js";
import { childElement, childElements, childText, parseClientXml, xmlElement } from "../xml.js";
import type { Backend, BucketConfig, Identity, PlainResponse } from "../types.js";

/** S3's limit on keys per DeleteObjects request. */
export const MAX_DELETE_KEYS = 1000;

/** A parsed Delete document. */
export interface DeleteRequest {
  /** Keys in request order. */
  keys: string[];
  /** Quiet mode: only errors are reported. */
  quiet: boolean;
}

/** Parses `<Delete><Quiet/><Object><Key/></Object>...</Delete>`. */
export function parseDeleteRequest(text: string): DeleteRequest {
  const root = parseClientXml(text, "Delete");
  const objects = childElements(root, "Object");
  if (objects.length === 0) throw new S3Error("MalformedXML");
  if (objects.length > MAX_DELETE_KEYS) {
    throw new S3Error("MalformedXML", { message: `A DeleteObjects request may name at most ${MAX_DELETE_KEYS} keys.` });
  }
  const keys = objects.map((object) => {
    const key = childElement(object, "Key");
    if (!key) throw new S3Error("MalformedXML");
    return key.text;
  });
  return { keys, quiet: childText(root, "Quiet")?.trim().toLowerCase() === "true" };
}

/** Runs a DeleteObjects request. */
export async function deleteObjects(
  backend: Backend<unknown>,
  bucket: BucketConfig,
  identity: Identity,
  body: Uint8Array,
): Promise<PlainResponse<never>> {
  if (identity.type === "anonymous") throw new S3Error("AccessDenied");
  const request = parseDeleteRequest(new TextDecoder().decode(body));
  const errors: { key: string; code: string; message: string }[] = [];
  const allowed: string[] = [];
  for (const key of request.keys) {
    try {
      validateKey(key);
    } catch (error) {
      errors.push({ key, code: isS3Error(error) ? error.code : "InvalidArgument", message: isS3Error(error) ? error.message : "Invalid key" });
      continue;
    }
    if (isAllowed(identity, "delete_object", bucket, { key })) allowed.push(key);
    else errors.push({ key, code: "AccessDenied", message: "Access Denied" });
  }
  const prefix = keyPrefixOf(bucket);
  const deleted: string[] = [];
  if (allowed.length > 0) {
    const result = await backend.deleteObjects(allowed.map((key) => prefix + key));
    const strip = (key: string) => key.slice(prefix.length);
    deleted.push(...result.deleted.map(strip));
    errors.push(...result.errors.map((error) => ({ ...error, key: strip(error.key) })));
  }
  const deletedXml = request.quiet ? "" : deleted.map((key) => `<Deleted>${xmlElement("Key", key)}</Deleted>`).join("");
  const errorXml = errors
    .map((error) => `<Error>${xmlElement("Key", error.key)}${xmlElement("Code", error.code)}${xmlElement("Message", error.message)}</Error>`)
    .join("");
  return xmlResponse("DeleteResult", deletedXml + errorXml);
}
