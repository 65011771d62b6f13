/**
 * The real S3 clients of the matrix and exactly how each is pointed at Multistore (docs/clients.md shows the same
 * settings). Every client gets an isolated configuration: nothing is read from the user's ~/.aws, ~/.s3cfg or
 * rclone.conf, and the parent's AWS_* / CA variables are removed (see `cleanEnv`).
 */
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { join } from "node:path";
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { loopbackLookup, pythonLoopbackEnv } from "./loopback.js";
import { minioJsClient } from "./minio-js.js";
import { cleanEnv, mustRun, mustRunBytes, requireTool, sameFile, succeeds, versionOf, whichTool, CLIENT_APT_INSTALL } from "./tools.js";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import type { KeyPair } from "../behaviour/clients.js";

/** Path-style (`host/bucket/key`) or virtual-hosted style (`bucket.host/key`). */
export type AddressingStyle = "path" | "virtual";

/** Where and how a client reaches the gateway in one test. */
export interface ClientTarget {
  scheme: "http" | "https";
  style: AddressingStyle;
  /** `127.0.0.1` for path style, the virtual-host domain (`s3.localtest`) for virtual-hosted style. */
  host: string;
  port: number;
  /** `${scheme}://${host}:${port}`. */
  endpoint: string;
  /** The test CA (PEM file) for HTTPS. */
  caPath?: string;
  credentials: KeyPair;
  region: string;
  /** A scratch directory for this client's config files. */
  work: string;
  /** Settings the runtime needs in SDK clients (see `RuntimeExceptions.noExpectContinue`). */
  sdkDefaults?: Partial<S3ClientConfig>;
  /**
   * Virtual-hosted style: names under this domain (`<bucket>.s3.localtest`) are 127.0.0.1, which each client is told
   * by its own means (see loopback.ts), so that no /etc/hosts entry is needed.
   */
  loopbackDomain?: string;
  /** Virtual-hosted style: the loopback proxy (`http://127.0.0.1:<port>`) for clients without a resolver hook. */
  loopbackProxy?: string;
}

/** A presigner a client offers. */
export interface Presigner {
  /** What it is, e.g. "aws s3 presign (SigV2, the default)". */
  name: string;
  /** True when the URL is signed with Signature Version 2 (needs the core's SigV2 verification). */
  sigv2: boolean;
  /** Makes a presigned URL for bucket/key (a GET, or a PUT in `putPresigners`). */
  url(target: ClientTarget, bucket: string, key: string): Promise<string>;
}

/** A client program driven through its own command line (or, for the JS SDK, its API). */
export interface MatrixClient {
  /** Stable id, used in key prefixes. */
  id: string;
  /** Shown in test names. */
  label: string;
  /** Throws, naming the install command, when the client is missing. */
  require(): void;
  /** The addressing styles it supports. */
  styles: AddressingStyle[];
  upload(target: ClientTarget, file: string, bucket: string, key: string): Promise<void>;
  download(target: ClientTarget, bucket: string, key: string, file: string): Promise<void>;
  /** Every key under the prefix (all pages). */
  list(target: ClientTarget, bucket: string, prefix: string): Promise<string[]>;
  /** Uploads a directory tree to bucket/prefix (`prefix` ends with `/`). Clients without a sync leave it out. */
  syncUp?(target: ClientTarget, dir: string, bucket: string, prefix: string): Promise<void>;
  /** Downloads bucket/prefix into a directory. */
  syncDown?(target: ClientTarget, bucket: string, prefix: string, dir: string): Promise<void>;
  /** Deletes everything under the prefix (the client's recursive or batch delete); `keys` are the keys there. */
  deleteRecursive(target: ClientTarget, bucket: string, prefix: string, keys: string[]): Promise<void>;
  /** Bytes [start, end] of an object, written to `file`. */
  rangedRead?(target: ClientTarget, bucket: string, key: string, start: number, end: number, file: string): Promise<void>;
  presigners: Presigner[];
  /** Presigners of PUT URLs (the URL a browser or curl uploads to), for clients that have one. */
  putPresigners?: Presigner[];
  /** Uploads a stream of unknown length (the client's streaming upload, in parts). */
  uploadStream?(target: ClientTarget, bucket: string, key: string, stream: Readable): Promise<void>;
  /** Size and ETag (quoted) of an object as the client's stat call reports them. */
  stat?(target: ClientTarget, bucket: string, key: string): Promise<{ size: number; etag: string }>;
  /** True when the client uploads a 20 MiB file in parts (as configured here). */
  multipart: boolean;
}

const awsCredentialsEnv = (target: ClientTarget) => ({
  AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
  AWS_DEFAULT_REGION: target.region,
  AWS_REGION: target.region,
});

/** A Python client's environment for the target's loopback names (virtual-hosted style), or nothing. */
const pythonEnv = (target: ClientTarget): Record<string, string> => (target.loopbackDomain ? pythonLoopbackEnv(target.loopbackDomain, target.work) : {});

/** Keys one per line (`aws s3 ls --recursive`, `s3cmd ls`): the last field, or what follows the s3:// bucket. */
function keysFromLines(output: string, pick: (line: string) => string | undefined): string[] {
  return output.split("\n").map((line) => line.trimEnd()).filter(Boolean).map(pick).filter((key): key is string => key !== undefined);
}

// ---------------------------------------------------------------------------------------------------- aws-cli

/**
 * aws-cli (v1 from PATH, or Debian's v2 at /usr/bin/aws). Config: `--endpoint-url`, credentials in the environment,
 * `--ca-bundle` for the test CA, and a config file with `s3.addressing_style` (botocore uses path style for a
 * custom endpoint unless told `virtual`). `aws s3 presign` signs with SigV2 in aws-cli v1 unless
 * `s3.signature_version = s3v4` is configured; v2 always signs SigV4.
 */
export function awsCli(options: { id: string; label: string; command: string; install: string; v1: boolean }): MatrixClient {
  const configFile = (target: ClientTarget, sigv4 = false) => {
    const path = join(target.work, `aws-config-${target.style}${sigv4 ? "-sigv4" : ""}`);
    writeFileSync(path, `[default]\nregion = ${target.region}\ns3 =\n  addressing_style = ${target.style}\n${sigv4 ? "  signature_version = s3v4\n" : ""}`);
    return path;
  };
  const aws = (target: ClientTarget, args: string[], sigv4 = false) =>
    mustRun(options.command, ["--endpoint-url", target.endpoint, ...(target.caPath ? ["--ca-bundle", target.caPath] : []), ...args], {
      env: cleanEnv({ ...awsCredentialsEnv(target), ...pythonEnv(target), AWS_CONFIG_FILE: configFile(target, sigv4), AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "" }),
    });
  const presign = (sigv4: boolean): Presigner => ({
    name: `aws s3 presign${options.v1 ? (sigv4 ? " (s3.signature_version = s3v4)" : " (default: SigV2)") : " (SigV4)"}`,
    sigv2: options.v1 && !sigv4,
    url: async (target, bucket, key) => (await aws(target, ["s3", "presign", `s3://${bucket}/${key}`, "--expires-in", "600"], sigv4)).trim(),
  });
  return {
    id: options.id,
    label: options.label,
    // The PATH one must really be v1 (with Debian's v2 first on PATH the matrix would test v2 twice).
    require: () =>
      requireTool(
        options.label,
        () => whichTool(options.command) !== undefined && (!options.v1 || /^aws-cli\/1\./.test(versionOf(options.command, ["--version"]))),
        options.install,
      ),
    styles: ["path", "virtual"],
    upload: async (target, file, bucket, key) => void (await aws(target, ["s3", "cp", "--no-progress", file, `s3://${bucket}/${key}`])),
    download: async (target, bucket, key, file) => void (await aws(target, ["s3", "cp", "--no-progress", `s3://${bucket}/${key}`, file])),
    list: async (target, bucket, prefix) =>
      keysFromLines(await aws(target, ["s3", "ls", "--recursive", `s3://${bucket}/${prefix}`]), (line) => /^\S+ \S+ +\d+ (.*)$/.exec(line)?.[1]),
    syncUp: async (target, dir, bucket, prefix) => void (await aws(target, ["s3", "sync", "--no-progress", dir, `s3://${bucket}/${prefix}`])),
    syncDown: async (target, bucket, prefix, dir) => void (await aws(target, ["s3", "sync", "--no-progress", `s3://${bucket}/${prefix}`, dir])),
    deleteRecursive: async (target, bucket, prefix, keys) => {
      // A batch delete (DeleteObjects, s3api) of two keys, then `s3 rm --recursive` (one DeleteObject per key) for the rest.
      const first = keys.slice(0, 2).map((key) => ({ Key: key }));
      const deleted = JSON.parse(await aws(target, ["s3api", "delete-objects", "--bucket", bucket, "--delete", JSON.stringify({ Objects: first }), "--output", "json"])) as { Deleted?: unknown[]; Errors?: unknown[] };
      if ((deleted.Errors ?? []).length > 0 || (deleted.Deleted ?? []).length !== first.length) throw new Error(`delete-objects: ${JSON.stringify(deleted)}`);
      await aws(target, ["s3", "rm", "--recursive", "--only-show-errors", `s3://${bucket}/${prefix}`]);
    },
    rangedRead: async (target, bucket, key, start, end, file) =>
      void (await aws(target, ["s3api", "get-object", "--bucket", bucket, "--key", key, "--range", `bytes=${start}-${end}`, file, "--output", "json"])),
    presigners: options.v1 ? [presign(false), presign(true)] : [presign(false)],
    multipart: true,
  };
}

// ---------------------------------------------------------------------------------------------------- boto3

/** The boto3 driver: one operation per run, arguments as JSON. Written next to the client's config. */
const BOTO3_SCRIPT = `
import json, sys
import boto3
from botocore.config import Config

a = json.loads(sys.argv[1])
config = {"s3": {"addressing_style": a["style"]}, "retries": {"max_attempts": 1}}
if a.get("sigv4"):
    config["signature_version"] = "s3v4"
s3 = boto3.client(
    "s3",
    endpoint_url=a["endpoint"],
    region_name=a["region"],
    aws_access_key_id=a["accessKeyId"],
    aws_secret_access_key=a["secretAccessKey"],
    verify=a.get("ca") or True,
    config=Config(**config),
)

def keys(prefix):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=a["bucket"], Prefix=prefix):
        out.extend(o["Key"] for o in page.get("Contents", []))
    return out

op = a["op"]
if op == "upload":
    s3.upload_file(a["file"], a["bucket"], a["key"])
elif op == "download":
    s3.download_file(a["bucket"], a["key"], a["file"])
elif op == "list":
    print(json.dumps(keys(a["prefix"])))
elif op == "delete":
    found = keys(a["prefix"])
    for i in range(0, len(found), 1000):
        r = s3.delete_objects(Bucket=a["bucket"], Delete={"Objects": [{"Key": k} for k in found[i:i + 1000]]})
        if r.get("Errors") or len(r.get("Deleted", [])) != len(found[i:i + 1000]):
            sys.exit("delete_objects: %r" % r)
elif op == "range":
    body = s3.get_object(Bucket=a["bucket"], Key=a["key"], Range="bytes=%d-%d" % (a["start"], a["end"]))["Body"].read()
    open(a["file"], "wb").write(body)
elif op == "presign":
    print(s3.generate_presigned_url("get_object", Params={"Bucket": a["bucket"], "Key": a["key"]}, ExpiresIn=600))
`;

/**
 * boto3 (from PATH's python3, or Debian's python3-boto3 under /usr/bin/python3). Config:
 * `boto3.client("s3", endpoint_url=..., region_name=..., verify=<CA file>, config=Config(s3={"addressing_style": ...}))`.
 * `generate_presigned_url` signs with SigV2 unless `Config(signature_version="s3v4")`.
 */
export function boto3Client(options: { id: string; label: string; python: string; install: string }): MatrixClient {
  const run = async (target: ClientTarget, args: Record<string, unknown>) => {
    const script = join(target.work, "boto3-driver.py");
    writeFileSync(script, BOTO3_SCRIPT);
    const payload = { endpoint: target.endpoint, region: target.region, style: target.style, ca: target.caPath, ...target.credentials, ...args };
    return mustRun(options.python, [script, JSON.stringify(payload)], { env: cleanEnv({ ...pythonEnv(target), AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" }) });
  };
  const presign = (sigv4: boolean): Presigner => ({
    name: sigv4 ? 'generate_presigned_url (Config(signature_version="s3v4"))' : "generate_presigned_url (default: SigV2)",
    sigv2: !sigv4,
    url: async (target, bucket, key) => (await run(target, { op: "presign", bucket, key, sigv4 })).trim(),
  });
  return {
    id: options.id,
    label: options.label,
    require: () =>
      requireTool(
        options.label,
        () => succeeds(options.python, ["-c", "import boto3"]) && (options.python.startsWith("/") || !sameFile(whichTool(options.python), "/usr/bin/python3")),
        options.install,
      ),
    styles: ["path", "virtual"],
    upload: async (target, file, bucket, key) => void (await run(target, { op: "upload", file, bucket, key })),
    download: async (target, bucket, key, file) => void (await run(target, { op: "download", file, bucket, key })),
    list: async (target, bucket, prefix) => JSON.parse(await run(target, { op: "list", bucket, prefix })) as string[],
    deleteRecursive: async (target, bucket, prefix) => void (await run(target, { op: "delete", bucket, prefix })),
    rangedRead: async (target, bucket, key, start, end, file) => void (await run(target, { op: "range", bucket, key, start, end, file })),
    presigners: [presign(false), presign(true)],
    multipart: true,
  };
}

// ---------------------------------------------------------------------------------------------------- rclone

/**
 * rclone (Debian 1.60), configured only through `RCLONE_CONFIG_<REMOTE>_*` variables with `RCLONE_CONFIG=/dev/null`:
 * type s3, provider Other, endpoint, region, force_path_style; `--ca-cert` for the test CA. AWS_CA_BUNDLE must not be
 * set for rclone (it breaks its TLS setup), and is not. The upload cutoff is lowered to 5 MiB so that a 20 MiB file
 * goes multipart (rclone's default cutoff is 200 MiB).
 */
export function rcloneClient(): MatrixClient {
  const rclone = async (target: ClientTarget, args: string[]) => (await rcloneBytes(target, args)).toString();
  const rcloneBytes = (target: ClientTarget, args: string[]) =>
    mustRunBytes("rclone", [...args, "--retries", "1", "--low-level-retries", "1", ...(target.caPath ? ["--ca-cert", target.caPath] : [])], {
      env: cleanEnv({
        RCLONE_CONFIG: "/dev/null",
        RCLONE_CONFIG_MULTISTORE_TYPE: "s3",
        RCLONE_CONFIG_MULTISTORE_PROVIDER: "Other",
        RCLONE_CONFIG_MULTISTORE_ENV_AUTH: "false",
        RCLONE_CONFIG_MULTISTORE_ACCESS_KEY_ID: target.credentials.accessKeyId,
        RCLONE_CONFIG_MULTISTORE_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
        RCLONE_CONFIG_MULTISTORE_REGION: target.region,
        RCLONE_CONFIG_MULTISTORE_ENDPOINT: target.endpoint,
        RCLONE_CONFIG_MULTISTORE_FORCE_PATH_STYLE: target.style === "path" ? "true" : "false",
        // rclone's defaults otherwise: its first upload to a bucket sends CreateBucket, which Multistore answers as
        // S3 does for the bucket's owner (no `no_check_bucket` needed).
        RCLONE_CONFIG_MULTISTORE_UPLOAD_CUTOFF: "5M",
        RCLONE_CONFIG_MULTISTORE_CHUNK_SIZE: "5M",
        // Go's resolver has no per-process hook: virtual-hosted requests go through the loopback proxy.
        ...(target.loopbackProxy && { HTTP_PROXY: target.loopbackProxy, HTTPS_PROXY: target.loopbackProxy }),
      }),
    });
  return {
    id: "rclone",
    label: "rclone",
    require: () => requireTool("rclone", () => whichTool("rclone") !== undefined, CLIENT_APT_INSTALL),
    styles: ["path", "virtual"],
    upload: async (target, file, bucket, key) => void (await rclone(target, ["copyto", file, `multistore:${bucket}/${key}`])),
    download: async (target, bucket, key, file) => void (await rclone(target, ["copyto", `multistore:${bucket}/${key}`, file])),
    list: async (target, bucket, prefix) => {
      const entries = JSON.parse(await rclone(target, ["lsjson", "-R", "--files-only", `multistore:${bucket}/${prefix}`])) as { Path: string }[];
      return entries.map((entry) => `${prefix}${entry.Path}`);
    },
    // Each sync is followed by `rclone check` (sizes, and hashes where the backend's ETags are MD5s): exit 1 on a
    // difference.
    syncUp: async (target, dir, bucket, prefix) => {
      await rclone(target, ["sync", dir, `multistore:${bucket}/${prefix}`]);
      await rclone(target, ["check", dir, `multistore:${bucket}/${prefix}`]);
    },
    syncDown: async (target, bucket, prefix, dir) => {
      await rclone(target, ["sync", `multistore:${bucket}/${prefix}`, dir]);
      await rclone(target, ["check", `multistore:${bucket}/${prefix}`, dir]);
    },
    deleteRecursive: async (target, bucket, prefix) => void (await rclone(target, ["delete", `multistore:${bucket}/${prefix}`])),
    rangedRead: async (target, bucket, key, start, end, file) =>
      writeFile(file, await rcloneBytes(target, ["cat", "--offset", String(start), "--count", String(end - start + 1), `multistore:${bucket}/${key}`])),
    presigners: [
      {
        name: "rclone link (SigV4)",
        sigv2: false,
        url: async (target, bucket, key) => (await rclone(target, ["link", "--expire", "10m", `multistore:${bucket}/${key}`])).trim(),
      },
    ],
    multipart: true,
  };
}

// ---------------------------------------------------------------------------------------------------- s3cmd

/**
 * s3cmd (Debian 2.3) with its own config file: `host_base` (host:port), `host_bucket` (the same for path style,
 * `%(bucket)s.<domain>:port` for virtual-hosted style), `use_https`, `ca_certs_file`, `signature_v2`.
 * `s3cmd signurl` always makes SigV2 URLs; `signature_v2 = True` signs every request with SigV2 headers.
 */
export function s3cmdClient(options: { sigv2?: boolean } = {}): MatrixClient {
  const configFile = (target: ClientTarget) => {
    const path = join(target.work, `s3cfg-${target.scheme}-${target.style}${options.sigv2 ? "-v2" : ""}`);
    const hostBase = `${target.host}:${target.port}`;
    writeFileSync(
      path,
      [
        "[default]",
        `access_key = ${target.credentials.accessKeyId}`,
        `secret_key = ${target.credentials.secretAccessKey}`,
        `bucket_location = ${target.region}`,
        `host_base = ${hostBase}`,
        `host_bucket = ${target.style === "path" ? hostBase : `%(bucket)s.${hostBase}`}`,
        `use_https = ${target.scheme === "https" ? "True" : "False"}`,
        ...(target.caPath ? [`ca_certs_file = ${target.caPath}`, "check_ssl_certificate = True", "check_ssl_hostname = True"] : []),
        `signature_v2 = ${options.sigv2 ? "True" : "False"}`,
        "",
      ].join("\n"),
    );
    return path;
  };
  const s3cmd = (target: ClientTarget, args: string[]) =>
    mustRun("s3cmd", ["-c", configFile(target), "--no-progress", ...args], { env: cleanEnv({ HOME: target.work, ...pythonEnv(target) }) });
  const label = options.sigv2 ? "s3cmd (signature_v2 = True)" : "s3cmd";
  return {
    id: options.sigv2 ? "s3cmd-v2" : "s3cmd",
    label,
    require: () => requireTool("s3cmd", () => whichTool("s3cmd") !== undefined, CLIENT_APT_INSTALL),
    styles: ["path", "virtual"],
    upload: async (target, file, bucket, key) => void (await s3cmd(target, ["put", file, `s3://${bucket}/${key}`])),
    download: async (target, bucket, key, file) => void (await s3cmd(target, ["get", "--force", `s3://${bucket}/${key}`, file])),
    list: async (target, bucket, prefix) =>
      keysFromLines(await s3cmd(target, ["ls", "--recursive", `s3://${bucket}/${prefix}`]), (line) => {
        const at = line.indexOf(`s3://${bucket}/`);
        return at === -1 ? undefined : line.slice(at + `s3://${bucket}/`.length);
      }),
    syncUp: async (target, dir, bucket, prefix) => void (await s3cmd(target, ["sync", `${dir}/`, `s3://${bucket}/${prefix}`])),
    syncDown: async (target, bucket, prefix, dir) => void (await s3cmd(target, ["sync", `s3://${bucket}/${prefix}`, `${dir}/`])),
    deleteRecursive: async (target, bucket, prefix) => void (await s3cmd(target, ["del", "--recursive", "--force", `s3://${bucket}/${prefix}`])),
    presigners: options.sigv2
      ? []
      : [
          {
            name: "s3cmd signurl (SigV2)",
            sigv2: true,
            // s3cmd 2.3 prints an http:// URL even with use_https = True; the SigV2 signature does not cover the
            // scheme, so the same URL works over https.
            url: async (target, bucket, key) => (await s3cmd(target, ["signurl", `s3://${bucket}/${key}`, `+600`])).trim().replace(/^http:/, `${target.scheme}:`),
          },
        ],
    multipart: true,
  };
}

// ---------------------------------------------------------------------------------------------------- JS SDK v3

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

/** Every client of the matrix except GDAL (which reads and writes rasters, see gdal.ts), in test order. */
export function matrixClients(): MatrixClient[] {
  return [
    awsCli({ id: "aws-cli-path", label: "aws-cli (PATH: pyenv awscli v1)", command: "aws", v1: true, install: "pip install awscli, with that aws (v1) first on PATH (the machine image ships it under pyenv)" }),
    boto3Client({ id: "boto3-path", label: "boto3 (PATH: pyenv python3)", python: "python3", install: "pip install boto3, with a python3 other than /usr/bin/python3 first on PATH (the machine image ships pyenv's)" }),
    awsCli({ id: "aws-cli-debian", label: "aws-cli (Debian, /usr/bin/aws)", command: "/usr/bin/aws", v1: false, install: CLIENT_APT_INSTALL }),
    boto3Client({ id: "boto3-debian", label: "boto3 (Debian python3-boto3, /usr/bin/python3)", python: "/usr/bin/python3", install: CLIENT_APT_INSTALL }),
    rcloneClient(),
    s3cmdClient(),
    s3cmdClient({ sigv2: true }),
    jsSdkClient(),
    minioJsClient(),
  ];
}
