/**
 * The AWS SDK for JavaScript v3 adapter of the matrix, in process: uploads through @aws-sdk/lib-storage, presigned
 * GET and PUT URLs through @aws-sdk/s3-request-presigner.
 */
import { createReadStream, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { ClientTarget, MatrixClient } from "./adapters.js";
import { loopbackLookup } from "./loopback.js";

/** The JS SDK's agents: the test CA for HTTPS, and for virtual-hosted style a `lookup` of the loopback names. */
function sdkAgents(target: ClientTarget): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const lookup = target.loopbackDomain ? { lookup: loopbackLookup(target.loopbackDomain) } : {};
  return { httpAgent: new HttpAgent(lookup), httpsAgent: new HttpsAgent({ ...lookup, ...(target.caPath && { ca: readFileSync(target.caPath) }) }) };
}

/**
 * The AWS SDK for JavaScript v3 with default settings (checksums on), in process: `endpoint`, `forcePathStyle`, and
 * for the test CA an https.Agent with `ca` as the request handler's agent (with a `lookup` of the loopback names for
 * virtual-hosted style). Uploads go through @aws-sdk/lib-storage's
 * `Upload` from a file stream (parallel multipart in 5 MiB parts above 5 MiB, one PutObject below).
 */
export function jsSdkClient(): MatrixClient {
  const client = (target: ClientTarget) =>
    new S3Client({
      ...(target.sdkDefaults ?? {}),
      endpoint: target.endpoint,
      region: target.region,
      forcePathStyle: target.style === "path",
      credentials: target.credentials,
      maxAttempts: 1,
      ...((target.caPath || target.loopbackDomain) && { requestHandler: sdkAgents(target) }),
    });
  return {
    id: "js-sdk",
    label: "AWS SDK for JavaScript v3",
    require: () => undefined,
    styles: ["path", "virtual"],
    upload: async (target, file, bucket, key) => {
      await new Upload({ client: client(target), params: { Bucket: bucket, Key: key, Body: createReadStream(file) }, partSize: 5 * 1024 * 1024, queueSize: 3 }).done();
    },
    download: async (target, bucket, key, file) => {
      const response = await client(target).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await writeFile(file, await response.Body!.transformToByteArray());
    },
    // CopyObject (the SDK has no managed copy in parts).
    copy: async (target, bucket, sourceKey, key, toBucket = bucket) => void (await client(target).send(new CopyObjectCommand({ Bucket: toBucket, Key: key, CopySource: `${bucket}/${encodeURIComponent(sourceKey)}` }))),
    list: async (target, bucket, prefix) => {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client: client(target) }, { Bucket: bucket, Prefix: prefix })) {
        keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      }
      return keys;
    },
    deleteRecursive: async (target, bucket, prefix) => {
      const s3 = client(target);
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
        const objects = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
        if (objects.length === 0) continue;
        const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
        if ((result.Errors ?? []).length > 0) throw new Error(`DeleteObjects: ${JSON.stringify(result.Errors)}`);
      }
    },
    rangedRead: async (target, bucket, key, start, end, file) => {
      const response = await client(target).send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }));
      await writeFile(file, await response.Body!.transformToByteArray());
    },
    presigners: [
      {
        name: "@aws-sdk/s3-request-presigner (SigV4)",
        sigv2: false,
        url: (target, bucket, key) => getSignedUrl(client(target), new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 600 }),
      },
    ],
    putPresigners: [
      {
        name: "@aws-sdk/s3-request-presigner (SigV4)",
        sigv2: false,
        url: (target, bucket, key) => getSignedUrl(client(target), new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 600 }),
      },
    ],
    stat: async (target, bucket, key) => {
      const head = await client(target).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: head.ContentLength ?? -1, etag: head.ETag ?? "" };
    },
    multipart: true,
  };
}
