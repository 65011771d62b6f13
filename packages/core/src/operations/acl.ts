/**
 * GetBucketAcl, GetObjectAcl and PutObjectAcl. Multistore has no ACLs: who may do what is its scopes, and a bucket
 * with anonymous access is readable by everyone. The answer says that in S3's terms: the owner has FULL_CONTROL, and
 * on an anonymous bucket AllUsers may READ. PutObjectAcl takes the ACL an object already has (what s3cmd sets on the
 * destination of a copy, having read the source's) and refuses any other as not implemented, rather than pretending.
 */
import { S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import { xmlResponse } from "../responses.js";
import { childElement, childElements, childText, clientXmlText, parseClientXml, xmlElement } from "../xml.js";
import type { BucketConfig, PlainResponse } from "../types.js";
import type { Owner } from "./list.js";

const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

/** The AccessControlPolicy of a bucket, or of an object in it (an object's is its bucket's). */
export function renderAcl(owner: Owner, bucket: BucketConfig): PlainResponse<never> {
  const person = xmlElement("ID", owner.id) + xmlElement("DisplayName", owner.displayName);
  let grants = `<Grant><Grantee ${XSI} xsi:type="CanonicalUser">${person}</Grantee><Permission>FULL_CONTROL</Permission></Grant>`;
  if (bucket.anonymous_access) {
    grants += `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>`;
  }
  return xmlResponse("AccessControlPolicy", `<Owner>${person}</Owner><AccessControlList>${grants}</AccessControlList>`);
}

/** The canned ACLs that say what an object of `bucket` has (`bucket-owner-*`: the bucket's owner is the owner). */
function cannedMatches(canned: string, bucket: BucketConfig): boolean {
  if (canned === "public-read") return bucket.anonymous_access;
  return !bucket.anonymous_access && (canned === "private" || canned === "bucket-owner-full-control" || canned === "bucket-owner-read");
}

/** The grants of an AccessControlPolicy document, as `kind:who:Permission` strings (values trimmed). */
function grantsOf(document: string): Set<string> {
  const root = parseClientXml(document, "AccessControlPolicy");
  const list = childElement(root, "AccessControlList");
  const grants = new Set<string>();
  for (const grant of list ? childElements(list, "Grant") : []) {
    const grantee = childElement(grant, "Grantee");
    const permission = childText(grant, "Permission")?.trim();
    if (grantee === undefined || permission === undefined) throw new Error("a Grant without its Grantee or Permission");
    // Who a grantee is, by what names it: a canonical user's ID, a group's URI, an email address.
    const id = childText(grantee, "ID");
    const uri = childText(grantee, "URI");
    const email = childText(grantee, "EmailAddress");
    const who = id !== undefined ? `user:${id.trim()}` : uri !== undefined ? `group:${uri.trim()}` : email !== undefined ? `email:${email.trim()}` : "";
    grants.add(`${who}:${permission}`);
  }
  return grants;
}

/**
 * Checks a PutObjectAcl request (an `x-amz-acl` canned ACL, or a policy document) against what an object of
 * `bucket` has; throws NotImplemented when it asks for anything else, MalformedACLError when the document is not one.
 */
export function checkObjectAcl(owner: Owner, bucket: BucketConfig, headers: Headers, body: Uint8Array): void {
  const unsupported = new S3Error("NotImplemented", { message: "Object ACLs other than the bucket's are not supported: access is configured in Multistore." });
  for (const name of ["x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"]) {
    if (headers.has(name)) throw unsupported;
  }
  const canned = headers.get("x-amz-acl");
  if (canned !== null) {
    if (!cannedMatches(canned.trim().toLowerCase(), bucket)) throw unsupported;
    return;
  }
  let grants: Set<string>;
  try {
    grants = grantsOf(clientXmlText(body));
  } catch (error) {
    throw new S3Error("MalformedACLError", { cause: error });
  }
  const expected = new Set([`user:${owner.id}:FULL_CONTROL`, ...(bucket.anonymous_access ? [`group:${ALL_USERS}:READ`] : [])]);
  if (grants.size !== expected.size || [...grants].some((grant) => !expected.has(grant))) throw unsupported;
}

/** The answer to a PutObjectAcl that was taken: 200, no body. */
export function aclTaken(): PlainResponse<never> {
  return { status: 200, headers: new HeaderMap(), body: null };
}
