/**
 * DeleteObjects: every key authorized on its own; denied keys get per-key AccessDenied and are never forwarded. An
 * entry naming a `VersionId` deletes that version only, never the object's current one.
 */
import { isAllowed } from "../authorize.js";
import { isS3Error, S3Error } from "../errors.js";
import { keyPrefixOf, validateKey } from "../keys.js";
import { xmlResponse } from "../responses.js";
import { childElement, childElements, childText, clientXmlText, parseClientXml, xmlElement } from "../xml.js";
import type { Backend, BucketConfig, DeleteVersionsResult, Identity, ObjectVersion, PlainResponse } from "../types.js";

/** S3's limit on keys per DeleteObjects request. */
export const MAX_DELETE_KEYS = 1000;

/** An object named in a Delete document: a key, and the version to delete when it names one. */
export interface DeleteEntry {
  /** The key, as the client named it. */
  key: string;
  /** `VersionId`, when given: that version only. */
  versionId?: string;
}

/** A parsed Delete document. */
export interface DeleteRequest {
  /** Keys in request order. */
  keys: string[];
  /** The entries in request order (`keys` with their versions). */
  entries: DeleteEntry[];
  /** Quiet mode: only errors are reported. */
  quiet: boolean;
}

/** Parses `<Delete><Quiet/><Object><Key/><VersionId/></Object>...</Delete>`. */
export function parseDeleteRequest(text: string): DeleteRequest {
  const root = parseClientXml(text, "Delete");
  const objects = childElements(root, "Object");
  if (objects.length === 0) throw new S3Error("MalformedXML");
  if (objects.length > MAX_DELETE_KEYS) {
    throw new S3Error("MalformedXML", { message: `A DeleteObjects request may name at most ${MAX_DELETE_KEYS} keys.` });
  }
  const entries = objects.map((object): DeleteEntry => {
    const key = childElement(object, "Key");
    if (!key) throw new S3Error("MalformedXML");
    // A conditional entry (S3 deletes it only while its ETag, modification time or size match) must not be deleted
    // unconditionally: refused whole, before anything is deleted.
    if (["ETag", "LastModifiedTime", "Size"].some((name) => childElement(object, name) !== undefined)) {
      throw new S3Error("NotImplemented", { message: "Conditional entries (ETag, LastModifiedTime, Size) in DeleteObjects are not supported; delete such keys one by one with If-Match." });
    }
    const versionId = childText(object, "VersionId");
    // An empty VersionId names no version S3 could have.
    if (versionId === "") throw new S3Error("MalformedXML", { message: "A VersionId must not be empty." });
    return versionId === undefined ? { key: key.text } : { key: key.text, versionId };
  });
  return { keys: entries.map((entry) => entry.key), entries, quiet: childText(root, "Quiet")?.trim().toLowerCase() === "true" };
}

/** One line of the answer: a deleted key (or version). */
export interface Reported {
  key: string;
  versionId?: string;
  deleteMarker?: boolean;
  deleteMarkerVersionId?: string;
}

/** One line of the answer: a key (or version) that was not deleted, and why. */
export type ReportedError = Reported & { code: string; message: string };

/** What deleting a bucket's entries came to. */
export interface DeleteOutcome {
  deleted: Reported[];
  errors: ReportedError[];
}

/** Versions deleted by a backend without versions: `null` is the object itself, any other does not exist. */
async function deleteWithoutVersions(backend: Backend<unknown>, versions: ObjectVersion[]): Promise<DeleteVersionsResult> {
  const result: DeleteVersionsResult = { deleted: [], errors: [] };
  const current = versions.filter((version) => version.versionId === "null");
  for (const version of versions) {
    if (version.versionId !== "null") result.errors.push({ ...version, code: "NoSuchVersion", message: "The specified version does not exist." });
  }
  if (current.length === 0) return result;
  const deleted = await backend.deleteObjects(current.map((version) => version.key));
  result.deleted.push(...deleted.deleted.map((key) => ({ key, versionId: "null" })));
  result.errors.push(...deleted.errors.map((error) => ({ ...error, versionId: "null" })));
  return result;
}

/** Runs a DeleteObjects request. */
export async function deleteObjects(
  backend: Backend<unknown>,
  bucket: BucketConfig,
  identity: Identity,
  body: Uint8Array,
): Promise<PlainResponse<never>> {
  if (identity.type === "anonymous") throw new S3Error("AccessDenied");
  const request = parseDeleteRequest(clientXmlText(body));
  return renderDeleteResult(request.quiet, await deleteEntries(backend, bucket, identity, request.entries));
}

/**
 * Deletes a bucket's entries (keys in the bucket's terms): each authorized on its own, denied ones reported with
 * AccessDenied and never forwarded.
 */
export async function deleteEntries(backend: Backend<unknown>, bucket: BucketConfig, identity: Identity, entries: readonly DeleteEntry[]): Promise<DeleteOutcome> {
  const errors: ReportedError[] = [];
  const allowed: string[] = [];
  const allowedVersions: ObjectVersion[] = [];
  const prefix = keyPrefixOf(bucket);
  for (const entry of entries) {
    const { key, versionId } = entry;
    try {
      validateKey(key);
    } catch (error) {
      errors.push({ ...entry, code: isS3Error(error) ? error.code : "InvalidArgument", message: isS3Error(error) ? error.message : "Invalid key" });
      continue;
    }
    // A version is deleted with what deletes the object (DeleteObject with versionId asks the same).
    if (!isAllowed(identity, "delete_object", bucket, { key })) errors.push({ ...entry, code: "AccessDenied", message: "Access Denied" });
    else if (versionId === undefined) allowed.push(key);
    else allowedVersions.push({ key: prefix + key, versionId });
  }
  const deleted: Reported[] = [];
  const strip = (key: string) => key.slice(prefix.length);
  if (allowed.length > 0) {
    const result = await backend.deleteObjects(allowed.map((key) => prefix + key));
    deleted.push(...result.deleted.map((key) => ({ key: strip(key) })));
    errors.push(...result.errors.map((error) => ({ ...error, key: strip(error.key) })));
  }
  if (allowedVersions.length > 0) {
    const result = backend.deleteObjectVersions ? await backend.deleteObjectVersions(allowedVersions) : await deleteWithoutVersions(backend, allowedVersions);
    deleted.push(...result.deleted.map((version) => ({ ...version, key: strip(version.key) })));
    errors.push(...result.errors.map((error) => ({ ...error, key: strip(error.key) })));
  }
  return { deleted, errors };
}

/** The DeleteResult document: deleted entries (none in quiet mode), then errors. */
export function renderDeleteResult(quiet: boolean, { deleted, errors }: DeleteOutcome): PlainResponse<never> {
  // (A backend that did not say which version an entry was about leaves it empty: nothing to echo.)
  const versionXml = (entry: Reported) => (entry.versionId ? xmlElement("VersionId", entry.versionId) : "");
  const markerXml = (entry: Reported) =>
    (entry.deleteMarker ? "<DeleteMarker>true</DeleteMarker>" : "") + (entry.deleteMarkerVersionId ? xmlElement("DeleteMarkerVersionId", entry.deleteMarkerVersionId) : "");
  const deletedXml = quiet ? "" : deleted.map((entry) => `<Deleted>${xmlElement("Key", entry.key)}${versionXml(entry)}${markerXml(entry)}</Deleted>`).join("");
  const errorXml = errors
    .map((error) => `<Error>${xmlElement("Key", error.key)}${versionXml(error)}${xmlElement("Code", error.code)}${xmlElement("Message", error.message)}</Error>`)
    .join("");
  return xmlResponse("DeleteResult", deletedXml + errorXml);
}
