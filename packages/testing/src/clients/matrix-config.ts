/**
 * What the client matrix runs against: its virtual-host domain, buckets and key, the gateway config that serves them,
 * which (backend, addressing style) pairs each client runs on a scheme, and how a runtime plugs into the matrix.
 */
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { AzuriteHandle } from "../azurite.js";
import type { S3rverHandle } from "../s3rver.js";
import type { GatewayTarget, NativeBucket } from "../behaviour/setup.js";
import type { KeyPair } from "../behaviour/clients.js";
import type { AddressingStyle, MatrixClient } from "./adapters.js";
import type { RequestLine } from "./calls.js";
import type { TestCa } from "./tls.js";

/**
 * The virtual-host domain of the matrix. `<bucket>.s3.localtest` is 127.0.0.1 for every client by its own means
 * (loopback.ts): the machine's resolver is not asked, so no /etc/hosts entry is needed.
 */
export const MATRIX_DOMAIN = "s3.localtest";
/** The matrix's buckets: one on the runtime's native backend (fs / R2), one on s3rver. */
export const MATRIX_BUCKETS = { native: "matrix-native", s3: "matrix-s3", az: "matrix-az" } as const;
/** The virtual-hosted names the matrix uses (the domain and one name per bucket served virtual-hosted style). */
export const MATRIX_HOSTNAMES = [MATRIX_DOMAIN, `${MATRIX_BUCKETS.native}.${MATRIX_DOMAIN}`, `${MATRIX_BUCKETS.s3}.${MATRIX_DOMAIN}`];
/** The one key the clients use (every action on every bucket). */
export const MATRIX_KEY: KeyPair = { accessKeyId: "AKIAMATRIX000000001", secretAccessKey: "matrix-secret-000000000000000000000001" };

/** The region every client and the SDK clients of the matrix use. */
export const REGION = "us-east-1";
/** The prefix of the keys listed in the listing test. */
export const LIST_PREFIX = "many/";
/** How many keys the listing test lists (more than one page of 1000). */
export const LIST_COUNT = 1100;
/** The size of the large file each client uploads once per runtime. */
export const LARGE_BYTES = 20 * 1024 * 1024;
/** The gateway's scheme in one half of the matrix. */
export type Scheme = "http" | "https";
/** One of the matrix's buckets, by the backend it is on. */
export type MatrixBackend = keyof typeof MATRIX_BUCKETS;

/**
 * Which (backend, style) pairs a client runs on a scheme. Path-style on both backends; virtual-hosted style on one
 * backend per scheme (native over HTTP, S3-backed over HTTPS), which keeps the matrix within its time budget while
 * every pairing of scheme, style and backend is still run by every client that supports it. The SigV2 variant of
 * s3cmd runs path-style only.
 */
export function combinations(scheme: Scheme, client?: MatrixClient): [MatrixBackend, AddressingStyle][] {
  const pairs: [MatrixBackend, AddressingStyle][] = [["native", "path"], ["s3", "path"]];
  // Azure (Azurite) runs path-style over HTTPS, where modern botocore sends its trailer-checksum framing. Not with
  // s3cmd: it compares every upload's ETag with the file's MD5 and retries until it gives up, and Azure ETags are
  // opaque version tags (a known limitation, written down in docs/clients.md).
  if (scheme === "https" && !client?.id.startsWith("s3cmd")) pairs.push(["az", "path"]);
  // A client run over HTTP only (OpenDAL) meets the Azure-backed bucket there.
  if (scheme === "http" && client?.schemes?.includes("https") === false) pairs.push(["az", "path"]);
  if (!client || (client.styles.includes("virtual") && client.id !== "s3cmd-v2")) pairs.push([scheme === "http" ? "native" : "s3", "virtual"]);
  return pairs;
}

/**
 * The one 20 MiB flow per client and runtime (over HTTPS, path-style): alternating backends across clients, and
 * flipped on the runtime that sets `flipLargeBackends`, so that across both runtimes every client uploads 20 MiB to a
 * native and to an S3-backed bucket.
 */
export const LARGE_ON: Record<string, MatrixBackend> = {
  "aws-cli-path": "native",
  "boto3-path": "s3",
  "aws-cli-debian": "s3",
  "boto3-debian": "native",
  rclone: "native",
  s3cmd: "s3",
  "js-sdk": "native",
  "minio-js": "s3",
  opendal: "native",
  gdal: "s3",
};

/** How the matrix starts and configures one runtime. */
export interface ClientMatrixRuntime {
  /**
   * Starts the gateway with `config` (the TOML file's shape), virtual-hosted under `domain`, HTTPS when `tls` is given;
   * each request line the gateway writes goes to `onRequestLine`, parsed (which calls the clients make: see calls.ts).
   */
  start(config: Record<string, unknown>, options: { domain: string; tls?: TestCa; onRequestLine: (line: RequestLine) => void }): Promise<GatewayTarget>;
  /** How a bucket on the runtime's native backend is configured. */
  native: NativeBucket;
  /** What the native backend is, for test names ("fs", "R2"). */
  nativeLabel: string;
  /** True when the HTTP and HTTPS gateways share the native storage (so the listing keys are seeded once there). */
  nativeShared: boolean;
  /** Runs each client's 20 MiB flow on the other backend than {@link LARGE_ON} says (set on one runtime of two). */
  flipLargeBackends?: boolean;
  /** Settings SDK clients need on this runtime. */
  sdkDefaults?: Partial<S3ClientConfig>;
  /** Cleans up what `native` uses. */
  close?(): Promise<void>;
}

/** The matrix's gateway config. */
export function matrixConfig(s3: S3rverHandle, native: NativeBucket, azurite: AzuriteHandle): Record<string, unknown> {
  return {
    buckets: [
      { name: MATRIX_BUCKETS.native, anonymous_access: false, ...native(MATRIX_BUCKETS.native) },
      {
        name: MATRIX_BUCKETS.s3,
        backend_type: "s3",
        anonymous_access: false,
        backend_options: { endpoint: s3.endpoint, bucket_name: "matrix", region: s3.region, access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: "true" },
      },
      {
        name: MATRIX_BUCKETS.az,
        backend_type: "az",
        anonymous_access: false,
        backend_options: { endpoint: azurite.endpoint, account_name: azurite.accountName, container_name: "matrix", access_key: azurite.accountKey },
      },
    ],
    roles: [],
    credentials: [
      {
        access_key_id: MATRIX_KEY.accessKeyId,
        secret_access_key: MATRIX_KEY.secretAccessKey,
        principal_name: "client-matrix",
        created_at: "2024-01-01T00:00:00Z",
        enabled: true,
        allowed_scopes: [
          {
            bucket: "*",
            prefixes: [],
            actions: ["get_object", "get_object_version", "head_object", "put_object", "delete_object", "list_bucket", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"],
          },
        ],
      },
    ],
  };
}
