/**
 * The real S3 clients of the matrix and exactly how each is pointed at Multistore (docs/clients.md shows the same
 * settings). Every client gets an isolated configuration: nothing is read from the user's ~/.aws, ~/.s3cfg or
 * rclone.conf, and the parent's AWS_* / CA variables are removed (see `cleanEnv`). This module holds what a client
 * adapter is and the matrix's list of them; each adapter lives in its own module (aws-cli.ts, boto3.ts, rclone.ts,
 * s3cmd.ts, js-sdk.ts, minio-js.ts, opendal.ts).
 */
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import type { KeyPair } from "../behaviour/clients.js";
import { awsCli } from "./aws-cli.js";
import { boto3Client } from "./boto3.js";
import { jsSdkClient } from "./js-sdk.js";
import { minioJsClient } from "./minio-js.js";
import { openDalClient } from "./opendal.js";
import { rcloneClient } from "./rclone.js";
import { s3cmdClient } from "./s3cmd.js";
import { CLIENT_APT_INSTALL } from "./tools.js";

export { awsCli } from "./aws-cli.js";
export { boto3Client } from "./boto3.js";
export { jsSdkClient } from "./js-sdk.js";
export { rcloneClient } from "./rclone.js";
export { s3cmdClient } from "./s3cmd.js";

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
  /** The schemes it is run over (default both); its 20 MiB flow runs over HTTPS when it can, else HTTP. */
  schemes?: ("http" | "https")[];
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
  /**
   * Copies an object server-side, as the client's copy command does: within `bucket`, or into `toBucket` (a bucket of
   * another store: the gateway streams the copy).
   */
  copy?(target: ClientTarget, bucket: string, sourceKey: string, key: string, toBucket?: string): Promise<void>;
  /** True when `copy` copies a 20 MiB object in parts (UploadPartCopy) rather than with one CopyObject. */
  copiesInParts?: boolean;
  /** True when the client uploads a 20 MiB file in parts (as configured here). */
  multipart: boolean;
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
    openDalClient(),
  ];
}
