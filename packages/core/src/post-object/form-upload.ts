/**
 * Browser form uploads (S3's POST Object): a `multipart/form-data` POST to a bucket whose fields carry the key, the
 * object's headers and a signed policy, and whose last part is the file. The gateway reads the fields (the body's
 * head, bounded), authenticates the policy's signature and checks its conditions, then performs the upload as the
 * PutObject it describes: authorized, metered and streamed like any other. The file is cut out of the body on its
 * way to the backend (see `FormFileDecoder`), and the answer is what the form asked for (204, 200, 201 with a
 * document, or a 303 redirect).
 */
import type { AuthenticationSources } from "../authenticate.js";
import { uriEncode } from "../encoding.js";
import { headerText } from "../header-text.js";
import { S3Error } from "../errors.js";
import { HeaderMap } from "../header-map.js";
import { decodeKey, encodeKeyPath } from "../keys.js";
import { virtualHostBucketOf } from "../sigv2/verify.js";
import type { RequestContext } from "../middleware.js";
import { CUSTOMER_KEY_HEADERS, OBJECT_LOCK_HEADERS, OBJECT_SETTING_HEADERS } from "../object-settings.js";
import { xmlResponse } from "../responses.js";
import { isVirtualHosted, splitTarget, type GatewayRequest, type SplitTarget } from "../s3-request.js";
import { childElement, childElements, childText, parseClientXml, xmlElement } from "../xml.js";
import type { PlainResponse } from "../types.js";
import { formBoundaryOf, FormHeadReader, isFormContentType, type FormHead } from "./form-head.js";
import { formTrailerLength, type FormFileFraming } from "./form-file.js";
import { authenticateForm, type FormAuthentication } from "./form-signature.js";
import { checkPostPolicy } from "./policy.js";

/** The most bytes of fields a form may send before its file (S3 allows 20 KB; session tokens make policies long). */
export const MAX_FORM_HEAD_BYTES = 64 * 1024;

/** A form upload, read and authenticated: the PutObject it describes. */
export interface FormUpload<B = unknown> {
  /** The PutObject request (its body: what follows the form's head). */
  request: GatewayRequest<B>;
  /** Who signed the form's policy (anonymous without one). */
  auth: FormAuthentication;
  /** The request's split target (`/bucket/key`, or `/key` virtual-hosted). */
  split: SplitTarget;
  /** Where the file lies in the rest of the body. */
  framing: FormFileFraming;
  /** Renders the upload's success as the form asked (from the backend's filtered answer headers). */
  renderSuccess: (headers: Headers) => PlainResponse<never>;
}

/**
 * Whether a POST is a form upload: `multipart/form-data` to a bucket (`/bucket`, or `/` when virtual-hosted), with no
 * signature of its own and no sub-resource.
 */
export function isFormUpload(request: GatewayRequest<unknown>, split: SplitTarget, domain: string | undefined): boolean {
  if (!isFormContentType(request.headers.get("content-type")) || request.headers.has("authorization")) return false;
  const { query, rawPath } = split;
  if (query.has("delete") || query.has("uploads") || query.has("uploadId")) return false;
  return isVirtualHosted(request.headers, domain) ? rawPath === "/" : /^\/[^/]+\/?$/.test(rawPath);
}

/** Form fields sent on as the PutObject's headers, under the same name. */
const HEADER_FIELDS = ["cache-control", "content-type", "content-disposition", "content-encoding", "content-language", "content-md5", "expires", "x-amz-storage-class", ...OBJECT_SETTING_HEADERS, ...OBJECT_LOCK_HEADERS, ...CUSTOMER_KEY_HEADERS];

function headerOf(headers: Headers, name: string, value: string, field: string): void {
  headers.set(name, headerText(value, field, `The form field "${field}"`));
}

/** A `tagging` field's document (`<Tagging><TagSet><Tag>…`) as `x-amz-tagging`'s query string. */
function taggingHeader(document: string): string {
  const tagSet = childElement(parseClientXml(document, "Tagging"), "TagSet");
  if (tagSet === undefined) throw new S3Error("MalformedXML", { message: "The tagging field's document has no TagSet." });
  return childElements(tagSet, "Tag")
    .map((tag) => `${uriEncode(childText(tag, "Key") ?? "")}=${uriEncode(childText(tag, "Value") ?? "")}`)
    .join("&");
}

/** The PutObject's headers from the form's fields. */
function uploadHeaders(request: GatewayRequest<unknown>, head: FormHead, fileLength: number): Headers {
  const headers = new Headers();
  const host = request.headers.get("host");
  if (host !== null) headers.set("host", host);
  // (Without a Content-Type field the object gets the store's default type, as on S3, not the file part's own: the
  // policy's signer never allowed that one, and a page could otherwise store HTML on a bucket it may write to.)
  for (const [name, field] of head.fields) {
    if (HEADER_FIELDS.includes(name) || name.startsWith("x-amz-meta-") || name.startsWith("x-amz-checksum-")) headerOf(headers, name, field.value, field.name);
    else if (name === "acl") headerOf(headers, "x-amz-acl", field.value, field.name);
    else if (name === "tagging") headerOf(headers, "x-amz-tagging", taggingHeader(field.value), field.name);
  }
  // The form's body is no aws-chunked stream, whatever a field says.
  if (/(^|,)\s*aws-chunked\s*(,|$)/i.test(headers.get("content-encoding") ?? "")) {
    throw new S3Error("InvalidArgument", { message: "The Content-Encoding field may not name aws-chunked: a form's file is sent as it is.", details: { ArgumentName: "Content-Encoding" } });
  }
  headers.set("content-length", String(fileLength));
  return headers;
}

/** The URL a successful form is sent to (`success_action_redirect`, or the older `redirect`), when it is one. */
function redirectOf(head: FormHead): URL | undefined {
  const value = head.fields.get("success_action_redirect")?.value ?? head.fields.get("redirect")?.value;
  if (value === undefined || value === "") return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    // As S3: a redirect that is no URL is ignored, and the status answers.
    return undefined;
  }
}

/** The answer to a successful form: what `success_action_redirect` or `success_action_status` asked for. */
function successRenderer(head: FormHead, bucket: string, key: string, location: string): (headers: Headers) => PlainResponse<never> {
  const redirect = redirectOf(head);
  const status = head.fields.get("success_action_status")?.value;
  return (backendHeaders) => {
    const etag = backendHeaders.get("etag") ?? "";
    const headers = new HeaderMap();
    for (const name of ["etag", "x-amz-version-id"]) {
      const value = backendHeaders.get(name);
      if (value !== null) headers.set(name, value);
    }
    if (redirect !== undefined) {
      for (const [name, value] of [["bucket", bucket], ["key", key], ["etag", etag]] as const) redirect.searchParams.append(name, value);
      headers.set("location", redirect.href);
      return { status: 303, headers, body: null };
    }
    headers.set("location", location);
    if (status === "201") {
      const document = xmlResponse("PostResponse", `${xmlElement("Location", location)}${xmlElement("Bucket", bucket)}${xmlElement("Key", key)}${xmlElement("ETag", etag)}`, 201);
      for (const [name, value] of headers) document.headers.set(name, value);
      return document;
    }
    return { status: status === "200" ? 200 : 204, headers, body: null };
  };
}

/**
 * Reads a form upload's fields, authenticates its policy's signature and checks the policy: the PutObject it
 * describes. `domain`: the virtual-hosted style domain, if any.
 */
export async function readFormUpload<B>(request: GatewayRequest<B>, split: SplitTarget, domain: string | undefined, sources: AuthenticationSources): Promise<FormUpload<B>> {
  const virtualHosted = isVirtualHosted(request.headers, domain);
  // The bucket the client posted to (what the policy's `bucket` condition names).
  const bucket = virtualHosted ? virtualHostBucketOf(request.headers, domain)! : decodeKey(split.rawPath.slice(1).replace(/\/$/, ""));
  const boundary = formBoundaryOf(request.headers.get("content-type"));
  if (boundary === undefined) throw new S3Error("MalformedPOSTRequest", { message: "The body of your POST request is not well-formed multipart/form-data: its Content-Type names no valid boundary." });
  const declared = request.headers.get("content-length");
  if (declared === null || !/^\d{1,16}$/.test(declared.trim())) throw new S3Error("MissingContentLength", { message: "A form upload needs a Content-Length." });
  if (request.readBodyHead === undefined) throw new S3Error("NotImplemented", { message: "Form uploads (POST Object) are not supported by this runtime." });
  let head: FormHead | undefined;
  const reader = new FormHeadReader(boundary, MAX_FORM_HEAD_BYTES);
  await request.readBodyHead((bytes) => {
    head = reader.read(bytes);
    return head === undefined ? -1 : head.length;
  });
  if (head === undefined) throw new S3Error("IncorrectNumberOfFilesInPostRequest", { message: "POST requires exactly one file upload per request: the body ended before its file part." });
  const fileLength = Number(declared) - head.length - formTrailerLength(boundary);
  if (fileLength < 0) throw new S3Error("MalformedPOSTRequest", { message: "The body of your POST request is not well-formed multipart/form-data: it is shorter than its fields and closing boundary." });
  const auth = await authenticateForm(head.fields, sources);
  const keyField = head.fields.get("key");
  if (keyField === undefined || keyField.value === "") {
    throw new S3Error("InvalidArgument", { message: "Bucket POST must contain a field named 'key'. If it is specified, please check the order of the fields.", details: { ArgumentName: "key" } });
  }
  // `${filename}` stands for the name of the file the user chose. The policy is checked against the key as it will be
  // written (what the AWS SDKs' `starts-with` condition for such a key restricts), never the placeholder.
  const key = keyField.value.replaceAll("${filename}", head.filename ?? "");
  // (A key of `${filename}` with no file chosen: a browser sends `filename=""`.)
  if (key === "") throw new S3Error("InvalidArgument", { message: "The form upload's key is empty: its ${filename} was replaced by an empty file name.", details: { ArgumentName: "key" } });
  if (auth.policy !== undefined) {
    const fields = new Map(head.fields).set("key", { name: keyField.name, value: key });
    checkPostPolicy(auth.policy, { fields, bucket, fileLength, now: sources.now?.() ?? Date.now() });
  }
  const bucketPath = virtualHosted ? "" : split.rawPath.replace(/\/$/, "");
  const target = `${bucketPath}/${encodeKeyPath(key)}`;
  const headers = uploadHeaders(request, head, fileLength);
  // Where the object is, as the client addresses it: a prefix the runtime took off (an API Gateway stage) put back.
  const signed = request.signedPath;
  const taken = signed === undefined ? "" : split.rawPath === "/" ? signed.replace(/\/$/, "") : signed.endsWith(split.rawPath) ? signed.slice(0, signed.length - split.rawPath.length) : "";
  const location = `${request.origin ?? ""}${taken}${target}`;
  return {
    request: new FormUploadRequest(request, target, headers),
    auth,
    split: splitTarget(target),
    framing: { length: fileLength, boundary },
    renderSuccess: successRenderer(head, bucket, key, location),
  };
}

/** The form upload as the PutObject request the gateway performs; its body is what remains after the form's head. */
class FormUploadRequest<B> implements GatewayRequest<B> {
  /** A PUT of the object. */
  readonly method = "PUT";
  /** The object's target. */
  readonly target: string;
  /** The object's headers. */
  readonly headers: Headers;

  constructor(
    private readonly request: GatewayRequest<B>,
    target: string,
    headers: Headers,
  ) {
    this.target = target;
    this.headers = headers;
  }

  /** The rest of the client's body (the file and the form's closing boundary). */
  get body(): B | null {
    return this.request.body;
  }

  /** The client's own reader (a PutObject reads no document: never called). */
  readBody(limit: number): Promise<Uint8Array> {
    return this.request.readBody(limit);
  }

  /** The scheme and host the client addressed. */
  get origin(): string | undefined {
    return this.request.origin;
  }

  /** The client's signal. */
  get signal(): AbortSignal | undefined {
    return this.request.signal;
  }

  /** The client's address. */
  get clientAddress(): string | undefined {
    return this.request.clientAddress;
  }

  /** The runtime's admission. */
  get onAdmitted(): ((context: RequestContext) => void) | undefined {
    return this.request.onAdmitted;
  }
}

/** The dispatch of a form upload's PutObject, with its file's framing and its answer. */
export function withFormPlan<D>(dispatched: D, upload: FormUpload<unknown>): D {
  if (typeof dispatched !== "object" || dispatched === null || !("type" in dispatched)) return dispatched;
  return { ...dispatched, formFile: upload.framing, renderHead: upload.renderSuccess };
}
