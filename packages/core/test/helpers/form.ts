/** Building browser form uploads for tests: multipart/form-data bodies and policies signed as the AWS SDKs sign them. */
import { createHmac } from "node:crypto";

/** The boundary test forms use. */
export const BOUNDARY = "----formBoundary7MA4YWxkTrZu0gW";

/** A multipart/form-data body: the fields in order, then the file part (last, as S3 needs it) and the closing line. */
export function formBody(fields: [string, string][], file: { name?: string; filename?: string; type?: string; content: string | Uint8Array }, boundary = BOUNDARY): Uint8Array {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  const filename = file.filename === undefined ? "" : `; filename="${file.filename}"`;
  const type = file.type === undefined ? "" : `\r\nContent-Type: ${file.type}`;
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name ?? "file"}"${filename}${type}\r\n\r\n`));
  parts.push(Buffer.from(file.content));
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return new Uint8Array(Buffer.concat(parts));
}

/** A base64 policy document. */
export function policyOf(expiration: string, conditions: unknown[]): string {
  return Buffer.from(JSON.stringify({ expiration, conditions })).toString("base64");
}

/** The SigV4 fields of a form whose policy `secret` signs (as the AWS SDKs and boto3 sign it). */
export function signedFields(accessKeyId: string, secret: string, policy: string, date = "20240101", region = "us-east-1"): [string, string][] {
  let key: Buffer = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  for (const part of [region, "s3", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return [
    ["x-amz-algorithm", "AWS4-HMAC-SHA256"],
    ["x-amz-credential", `${accessKeyId}/${date}/${region}/s3/aws4_request`],
    ["x-amz-date", `${date}T120000Z`],
    ["policy", policy],
    ["x-amz-signature", createHmac("sha256", key).update(policy).digest("hex")],
  ];
}

/** The conditions naming the SigV4 fields (every field of a form must be named by one). */
export function signatureConditions(accessKeyId: string, date = "20240101", region = "us-east-1"): Record<string, string>[] {
  return [{ "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": `${accessKeyId}/${date}/${region}/s3/aws4_request` }, { "x-amz-date": `${date}T120000Z` }];
}
