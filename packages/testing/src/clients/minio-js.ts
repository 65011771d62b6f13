/**
 * minio-js (npm `minio`), in process: endPoint/port/useSSL from the target, `pathStyle` for the addressing style,
 * region set (so it never asks for the bucket's location), the test CA (and for virtual-hosted style a `lookup` of the
 * loopback names) through `transportAgent`, and 5 MiB parts so that a 20 MiB file goes multipart (its default part
 * size is 64 MiB).
 */
import { createWriteStream } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { readFileSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { Client } from "minio";
import type { ClientTarget, MatrixClient } from "./adapters.js";
import { loopbackLookup } from "./loopback.js";

/** The agent of the target's scheme: the test CA for HTTPS, and a `lookup` of the loopback names for virtual-hosted style. */
function agentFor(target: ClientTarget): HttpAgent | HttpsAgent {
  const lookup = target.loopbackDomain ? { lookup: loopbackLookup(target.loopbackDomain) } : {};
  if (target.scheme === "http") return new HttpAgent({ ...lookup, keepAlive: true });
  return new HttpsAgent({ ...lookup, keepAlive: true, ...(target.caPath && { ca: readFileSync(target.caPath) }) });
}

function client(target: ClientTarget): Client {
  return new Client({
    endPoint: target.host,
    port: target.port,
    useSSL: target.scheme === "https",
    accessKey: target.credentials.accessKeyId,
    secretKey: target.credentials.secretAccessKey,
    region: target.region,
    pathStyle: target.style === "path",
    partSize: 5 * 1024 * 1024,
    ...((target.caPath || target.loopbackDomain) && { transportAgent: agentFor(target) }),
  });
}

async function keysUnder(target: ClientTarget, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of client(target).listObjectsV2(bucket, prefix, true)) if (item.name) keys.push(item.name);
  return keys;
}

/** minio-js as a matrix client. */
export function minioJsClient(): MatrixClient {
  return {
    id: "minio-js",
    label: "minio-js",
    require: () => undefined,
    styles: ["path", "virtual"],
    upload: async (target, file, bucket, key) => void (await client(target).fPutObject(bucket, key, file)),
    download: async (target, bucket, key, file) => {
      await pipeline(await client(target).getObject(bucket, key), createWriteStream(file));
    },
    list: keysUnder,
    deleteRecursive: async (target, bucket, prefix) => {
      const keys = await keysUnder(target, bucket, prefix);
      for (let index = 0; index < keys.length; index += 1000) await client(target).removeObjects(bucket, keys.slice(index, index + 1000));
    },
    rangedRead: async (target, bucket, key, start, end, file) => {
      await pipeline(await client(target).getPartialObject(bucket, key, start, end - start + 1), createWriteStream(file));
    },
    presigners: [{ name: "presignedGetObject (SigV4)", sigv2: false, url: (target, bucket, key) => client(target).presignedGetObject(bucket, key, 600) }],
    putPresigners: [{ name: "presignedPutObject (SigV4)", sigv2: false, url: (target, bucket, key) => client(target).presignedPutObject(bucket, key, 600) }],
    // putObject of a stream without a size: minio-js sends it in parts of `partSize` (5 MiB here).
    uploadStream: async (target, bucket, key, stream) => void (await client(target).putObject(bucket, key, stream)),
    stat: async (target, bucket, key) => {
      // minio-js reports the ETag without its quotes.
      const stat = await client(target).statObject(bucket, key);
      return { size: stat.size, etag: `"${stat.etag}"` };
    },
    multipart: true,
  };
}
