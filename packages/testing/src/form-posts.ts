/**
 * Browser form uploads as web apps make them: a policy signed by the AWS SDK's `createPresignedPost`, and the form
 * encoded as multipart/form-data by the platform's own `FormData` (the file last, as S3 needs it).
 */
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { sdkClient, type KeyPair } from "./behaviour/clients.js";

/** A signed form: where to post it and its fields (the file excepted). */
export interface PresignedForm {
  /** The form's action. */
  url: string;
  /** Its fields. */
  fields: Record<string, string>;
}

/** What a form is signed for: the bucket, the key (`${filename}` allowed), extra conditions and fields, a lifetime. */
export interface FormOptions {
  bucket: string;
  key: string;
  conditions?: unknown[];
  fields?: Record<string, string>;
  /** Seconds (negative: already expired). */
  expires?: number;
}

/** Signs a form with `key` for the gateway at `target` (an endpoint, or a world with SDK defaults). */
export function presignedForm(target: string | { endpoint: string; sdkDefaults?: Partial<S3ClientConfig> }, key: KeyPair, options: FormOptions): Promise<PresignedForm> {
  return createPresignedPost(sdkClient(target, key), {
    Bucket: options.bucket,
    Key: options.key,
    Conditions: (options.conditions ?? []) as never,
    Fields: options.fields ?? {},
    Expires: options.expires ?? 600,
  });
}

/** A form's fields, then its file, then `after` (fields a form should not send after its file). */
export function formData(form: PresignedForm, file: { bytes: Uint8Array; filename?: string; type?: string }, options: { extra?: Record<string, string>; after?: Record<string, string> } = {}): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries({ ...form.fields, ...options.extra })) data.append(name, value);
  data.append("file", new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type ?? "application/octet-stream" }), file.filename ?? "upload.bin");
  for (const [name, value] of Object.entries(options.after ?? {})) data.append(name, value);
  return data;
}

/** A form encoded as the platform sends it: its bytes and its Content-Type (with the boundary). */
export async function encodedForm(data: FormData): Promise<{ body: Uint8Array<ArrayBuffer>; contentType: string }> {
  const encoded = new Response(data);
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType: encoded.headers.get("content-type")! };
}
