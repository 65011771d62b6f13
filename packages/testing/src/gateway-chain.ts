/**
 * A Multistore in front of a Multistore (an edge Worker before a Node server, or two tiers): the outer gateway's s3
 * bucket is served by the inner gateway. Uploads must pass through both: signed hex payload hashes, aws-chunked SDK
 * uploads with trailer checksums, presigned PUTs and multipart uploads, each read back byte for byte.
 */
import { createHash, randomBytes } from "node:crypto";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { expect } from "vitest";
import { sdkClient, signedRawRequest, type KeyPair } from "./behaviour/clients.js";

/** The outer gateway and the bucket on it that the inner gateway serves. */
export interface ChainTarget {
  /** The outer gateway's endpoint. */
  endpoint: string;
  /** Credentials valid on the outer gateway. */
  credentials: KeyPair;
  /** The outer gateway's bucket backed by the inner gateway. */
  bucket: string;
}

/** Runs every upload form through the chain and reads each object back through it; fails the test on a mismatch. */
export async function exerciseGatewayChain(target: ChainTarget): Promise<void> {
  const client = sdkClient(target.endpoint, target.credentials);
  const read = async (key: string) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))).Body!.transformToByteArray());

  // A signed hex payload hash: the outer gateway presigns its backend URL with that hash, the inner one checks it.
  const hashed = randomBytes(100_000);
  const put = await signedRawRequest(target.endpoint, target.credentials, {
    method: "PUT",
    path: `/${target.bucket}/chain/hashed.bin`,
    headers: { "x-amz-content-sha256": createHash("sha256").update(hashed).digest("hex") },
    body: hashed,
  });
  expect([put.status, put.text]).toEqual([200, ""]);
  expect((await read("chain/hashed.bin")).equals(hashed)).toBe(true);

  // The SDK's default: aws-chunked with a CRC32 trailer, decoded by the outer gateway.
  const chunked = randomBytes(300_000);
  await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: "chain/chunked.bin", Body: chunked, ChecksumAlgorithm: "CRC32" }));
  expect((await read("chain/chunked.bin")).equals(chunked)).toBe(true);

  // A presigned PUT (UNSIGNED-PAYLOAD).
  const presigned = randomBytes(50_000);
  const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: target.bucket, Key: "chain/presigned.bin" }), { expiresIn: 300 });
  const response = await fetch(url, { method: "PUT", body: presigned });
  expect(response.status).toBe(200);
  expect((await read("chain/presigned.bin")).equals(presigned)).toBe(true);

  // Multipart: two parts of 5 MiB and one short one.
  const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(1000)];
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: "chain/multipart.bin" }));
  const etags: string[] = [];
  for (const [index, part] of parts.entries()) {
    const uploaded = await client.send(new UploadPartCommand({ Bucket: target.bucket, Key: "chain/multipart.bin", UploadId, PartNumber: index + 1, Body: part }));
    etags.push(uploaded.ETag!);
  }
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: target.bucket,
      Key: "chain/multipart.bin",
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
    }),
  );
  expect((await read("chain/multipart.bin")).equals(Buffer.concat(parts))).toBe(true);
}
