/**
 * Who signed a browser form upload: its policy document is signed, not the request. Signature Version 4 (the
 * `x-amz-*` fields: an HMAC-SHA256 of the base64 policy with the scope's signing key) or 2 (`AWSAccessKeyId` and
 * `signature`: an HMAC-SHA1 of it). A form without a policy is anonymous. The same keys, session tokens and key-state
 * rules as signed requests.
 */
import { checkKeyState, secretFor, type Authentication, type AuthenticationSources } from "../authenticate.js";
import { timingSafeEqual } from "../encoding.js";
import { S3Error } from "../errors.js";
import { hmacSha1Base64 } from "../sigv2/verify.js";
import { signHex, signingKeyNow } from "../sigv4/signing-key.js";
import type { FormField } from "./form-head.js";

/** A form's signer and the policy they signed (absent for an anonymous form). */
export interface FormAuthentication extends Authentication {
  /** The base64 policy document, as signed. */
  policy?: string;
}

/** Fields that sign a form (never themselves under the policy's conditions). */
const SIGNATURE_FIELDS = ["x-amz-signature", "signature", "awsaccesskeyid", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-security-token"];

function missingField(name: string): S3Error {
  return new S3Error("InvalidArgument", {
    message: `Bucket POST must contain a field named '${name}'. If it is specified, please check the order of the fields.`,
    details: { ArgumentName: name },
  });
}

function invalidField(name: string, message: string): S3Error {
  return new S3Error("InvalidArgument", { message, details: { ArgumentName: name } });
}

/** Authenticates a form upload by its fields (lowercase names). */
export async function authenticateForm(fields: ReadonlyMap<string, FormField>, sources: AuthenticationSources): Promise<FormAuthentication> {
  const value = (name: string) => fields.get(name)?.value;
  const policy = value("policy");
  if (policy === undefined) {
    const signing = SIGNATURE_FIELDS.find((name) => fields.has(name));
    if (signing !== undefined) throw missingField("policy");
    return { identity: { type: "anonymous" }, payloadHash: "UNSIGNED-PAYLOAD" };
  }
  const now = sources.now?.() ?? Date.now();
  const sessionToken = value("x-amz-security-token");
  const version4 = fields.has("x-amz-signature") || fields.has("x-amz-algorithm") || fields.has("x-amz-credential");
  if (!version4 && !fields.has("awsaccesskeyid")) throw missingField("x-amz-credential");
  let accessKeyId: string;
  let verify: (secret: string) => Promise<boolean>;
  if (version4) {
    const algorithm = value("x-amz-algorithm");
    if (algorithm === undefined) throw missingField("x-amz-algorithm");
    if (algorithm !== "AWS4-HMAC-SHA256") throw invalidField("x-amz-algorithm", "The x-amz-algorithm field must be AWS4-HMAC-SHA256.");
    const credential = value("x-amz-credential");
    if (credential === undefined) throw missingField("x-amz-credential");
    const scope = credential.split("/");
    if (scope.length !== 5 || scope[0] === "" || !/^\d{8}$/.test(scope[1]!) || scope[4] !== "aws4_request") {
      throw invalidField("x-amz-credential", "The x-amz-credential field must be <access key>/<YYYYMMDD>/<region>/s3/aws4_request.");
    }
    if (scope[3] !== "s3") throw invalidField("x-amz-credential", `The x-amz-credential field names the service "${scope[3]}"; this endpoint belongs to "s3".`);
    const amzDate = value("x-amz-date");
    if (amzDate === undefined) throw missingField("x-amz-date");
    if (!/^\d{8}T\d{6}Z$/.test(amzDate)) throw invalidField("x-amz-date", "The x-amz-date field must be of the form YYYYMMDD'T'HHMMSS'Z'.");
    const signature = value("x-amz-signature");
    if (signature === undefined) throw missingField("x-amz-signature");
    accessKeyId = scope[0]!;
    const [, date, region] = scope as [string, string, string];
    verify = async (secret) => timingSafeEqual(await signHex(await signingKeyNow(secret, date, region, "s3"), policy), signature.toLowerCase());
  } else {
    const signature = value("signature");
    if (signature === undefined) throw missingField("signature");
    accessKeyId = value("awsaccesskeyid")!;
    verify = async (secret) => timingSafeEqual(await hmacSha1Base64(secret, policy), signature);
  }
  const found = await secretFor({ accessKeyId, ...(sessionToken !== undefined && { sessionToken }) }, sources, now);
  if (!(await verify(found.secret))) throw new S3Error("SignatureDoesNotMatch", { message: "The signature of the form's policy does not match. Check your key and signing method." });
  checkKeyState(found.credential, now);
  return { identity: found.identity, payloadHash: "UNSIGNED-PAYLOAD", policy };
}
