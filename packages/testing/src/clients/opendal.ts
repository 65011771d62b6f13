/**
 * Apache OpenDAL (npm `opendal`: its Rust core through Node bindings), in process: the storage layer of Rust data
 * tools, with a SigV4 implementation of its own (reqsign). Pointed at the gateway with `endpoint`, `region` and the
 * key, path-style (it has no resolver hook for the loopback names of virtual-hosted style), every environment and
 * instance-metadata lookup turned off. HTTP only: the binding has no way to trust a private CA (no option, and
 * neither `SSL_CERT_FILE` nor `SSL_CERT_DIR` is read), so the test CA cannot be given to it. Writes go in 5 MiB parts
 * (`chunk`), so that a 20 MiB file is a multipart upload. Pinned at 0.49.2: the later 0.49 builds need glibc 2.38,
 * newer than Debian 12's.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Operator } from "opendal";
import type { ClientTarget, MatrixClient } from "./adapters.js";

/** OpenDAL's part size for writes. */
const CHUNK = 5n * 1024n * 1024n;

let loaded: typeof import("opendal") | undefined;

/**
 * The binding, loaded when first used rather than when this package is imported: its native library exists for some
 * platforms only (this lockfile has linux-x64's), and elsewhere only OpenDAL's own tests may fail.
 */
function openDal(): typeof import("opendal") {
  try {
    loaded ??= createRequire(import.meta.url)("opendal") as typeof import("opendal");
  } catch (error) {
    throw new Error("OpenDAL's Node binding (npm opendal@0.49.2) does not load here: the lockfile installs its native library for linux-x64 (glibc 2.16 or later) only", { cause: error });
  }
  return loaded;
}

function operator(target: ClientTarget, bucket: string): Operator {
  return new (openDal().Operator)("s3", {
    bucket,
    endpoint: target.endpoint,
    region: target.region,
    access_key_id: target.credentials.accessKeyId,
    secret_access_key: target.credentials.secretAccessKey,
    disable_config_load: "true",
    disable_ec2_metadata: "true",
  });
}

/** Every object key under `prefix` (a recursive listing; directories it infers end with `/`). */
async function keysUnder(target: ClientTarget, bucket: string, prefix: string): Promise<string[]> {
  const entries = await operator(target, bucket).list(prefix, { recursive: true });
  return entries.map((entry) => entry.path()).filter((path) => !path.endsWith("/"));
}

/** OpenDAL as a matrix client. */
export function openDalClient(): MatrixClient {
  return {
    id: "opendal",
    label: "OpenDAL (npm opendal)",
    require: () => void openDal(),
    styles: ["path"],
    schemes: ["http"],
    upload: async (target, file, bucket, key) => void (await operator(target, bucket).write(key, readFileSync(file), { chunk: CHUNK })),
    download: async (target, bucket, key, file) => writeFileSync(file, await operator(target, bucket).read(key)),
    list: keysUnder,
    deleteRecursive: async (target, bucket, prefix) => operator(target, bucket).removeAll(prefix),
    rangedRead: async (target, bucket, key, start, end, file) => {
      writeFileSync(file, await operator(target, bucket).read(key, { offset: BigInt(start), size: BigInt(end - start + 1) }));
    },
    presigners: [{ name: "presignRead (SigV4)", sigv2: false, url: async (target, bucket, key) => (await operator(target, bucket).presignRead(key, 600)).url }],
    putPresigners: [{ name: "presignWrite (SigV4)", sigv2: false, url: async (target, bucket, key) => (await operator(target, bucket).presignWrite(key, 600)).url }],
    stat: async (target, bucket, key) => {
      const metadata = await operator(target, bucket).stat(key);
      return { size: Number(metadata.contentLength), etag: metadata.etag ?? "" };
    },
    multipart: true,
  };
}
