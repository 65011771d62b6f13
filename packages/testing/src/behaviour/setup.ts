/** The suite's world: an s3rver backend, a temp directory, the gateway config, and the runtime under test. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAzurite, type AzuriteHandle } from "../azurite.js";
import { startGcsTestServer, type GcsTestServer } from "../gcs-test-server.js";
import { startS3rver, type S3rverHandle } from "../s3rver.js";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { KeyPair } from "./clients.js";
import { CORS_RULES, PUBLIC_BUCKET_CORS_RULES } from "./cors.js";

/** The runtime under test, started with a config object (the same shape as the TOML file). */
export interface GatewayTarget {
  /** Base URL of the gateway (`http://127.0.0.1:port`). */
  endpoint: string;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Starts a runtime with a config; `domain` enables virtual-hosted style, `keepAlive` sets when long copies and
 * completions start their answer (core's `keepAlive`; the runtime's default without it).
 */
export type StartGateway = (config: Record<string, unknown>, options: { domain?: string; keepAlive?: { afterMs: number; everyMs: number } }) => Promise<GatewayTarget>;

/**
 * Where a runtime cannot behave like the others, the difference and its reason are written down here, and the
 * tests check the runtime's actual (still safe) behaviour instead.
 */
export interface RuntimeExceptions {
  /**
   * The platform normalizes `.`/`..` path segments before the gateway sees the URL, so such a request reaches us as
   * another path whose signature no longer matches: it is refused with 403 instead of 400 (never served as signed).
   */
  dotSegmentsNormalized?: string;
  /** The native backend's part ETags are not MD5s of the part (the reason says whose emulation differs). */
  nativePartEtagNotMd5?: string;
  /**
   * The runtime's local server never answers `Expect: 100-continue`, so SDK clients would wait their 6 s fallback
   * before every large upload: the suite's SDK clients leave the header out there.
   */
  noExpectContinue?: string;
  /**
   * The native backend keeps only SHA-1 and SHA-256 checksums sent as headers (known before the body), so GetObject
   * with ChecksumMode returns no CRC checksum and none that came as a trailer.
   */
  nativeChecksumsShaHeadersOnly?: string;
  /**
   * The native backend cannot list an upload's parts (ListParts answers 501), so it lists no upload either
   * (ListMultipartUploads answers an empty list): the reason.
   */
  nativeListPartsUnsupported?: string;
  /** The native backend keeps no object tags (they are refused with 501, as on gcs buckets): the reason. */
  nativeKeepsNoTags?: string;
  /** The native backend takes a write's storage class but keeps none (nor shows one): the reason. */
  nativeKeepsNoStorageClass?: string;
}

/** Everything a behaviour test needs. */
export interface World {
  /** The gateway. */
  endpoint: string;
  /** Full access to every bucket. */
  admin: KeyPair;
  /** get/head/list/put/delete only under `allowed/` of both private buckets. */
  limited: KeyPair;
  /** A key whose `enabled` is false. */
  disabled: KeyPair;
  /** A key whose `expires_at` is in the past. */
  expired: KeyPair;
  /** The backend s3rver, for direct checks. */
  s3: S3rverHandle;
  /** This runtime's documented differences. */
  exceptions: RuntimeExceptions;
  /** Settings every SDK client of the suite starts from. */
  sdkDefaults: Partial<S3ClientConfig>;
}

/** Bucket names, by backend kind. */
export const BUCKETS = {
  /** Private s3-backed bucket (backend bucket `data`, backend_prefix `tenant`, keys stored under `tenant/`). */
  s3: "s3-private",
  /** Private bucket on the runtime's native backend (fs on Node, R2 on Workers). */
  native: "native-private",
  /** A second s3-backed bucket on the same endpoint (copies across buckets). */
  s3Other: "s3-other",
  /** A second native bucket (copies across buckets). */
  nativeOther: "native-other",
  /** Anonymous-read s3-backed bucket. */
  publicS3: "s3-public",
  /** Anonymous-read native bucket. */
  publicNative: "native-public",
  /** Private bucket on Google Cloud Storage (the GCS test server, which checks every V4 signature). */
  gcs: "gcs-private",
  /** A second GCS bucket of the same account (copies across buckets). */
  gcsOther: "gcs-other",
  /** Private bucket on Azure Blob Storage (Azurite, which checks every SAS and Shared Key signature). */
  az: "az-private",
  /** A second container of the same account (copies across buckets). */
  azOther: "az-other",
} as const;

const ALL_ACTIONS = [
  "get_object", "get_object_version", "head_object", "put_object", "delete_object", "list_bucket",
  "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload",
];

function credential(accessKeyId: string, secretAccessKey: string, scopes: unknown[], extra: Record<string, unknown> = {}) {
  return { access_key_id: accessKeyId, secret_access_key: secretAccessKey, principal_name: accessKeyId.toLowerCase(), created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: scopes, ...extra };
}

/** A kind of backend the object behaviours run on. */
export type BackendKind = "s3" | "native" | "gcs" | "az";

/** Every backend kind with its private bucket and a second bucket of the same endpoint (for copies). */
export const BACKEND_BUCKETS: readonly (readonly [BackendKind, string, string])[] = [
  ["s3", BUCKETS.s3, BUCKETS.s3Other],
  ["native", BUCKETS.native, BUCKETS.nativeOther],
  ["gcs", BUCKETS.gcs, BUCKETS.gcsOther],
  ["az", BUCKETS.az, BUCKETS.azOther],
];

/** `[kind, bucket]` pairs, for `describe.each`. */
export const BACKENDS: readonly (readonly [BackendKind, string])[] = BACKEND_BUCKETS.map(([kind, bucket]) => [kind, bucket] as const);

/**
 * Whether a backend enforces everything S3 does. s3rver (behind the "s3" kind) has known gaps — suffix ranges,
 * If-Match, listing order, multipart ETags, part checks, conditional writes — written down where each check is made.
 */
export function enforcesAll(kind: BackendKind): boolean {
  return kind !== "s3";
}

/** Whether a single-PUT object's ETag is the MD5 of its bytes, as on S3. Azure's ETags are opaque versions. */
export function etagIsMd5(kind: BackendKind): boolean {
  return kind !== "az";
}

/**
 * Whether an UploadPart ETag is the MD5 of the part. Azure's Put Block reports no MD5 unless the client sends
 * Content-MD5 (SDKs send CRC checksums instead), so the Azure backend's part ETags are opaque tokens.
 */
export function partEtagIsMd5(kind: BackendKind, exceptions: RuntimeExceptions): boolean {
  if (kind === "az") return false;
  return !(kind === "native" && exceptions.nativePartEtagNotMd5);
}

/**
 * Makes the definition of a bucket on the runtime's native backend: `{ backend_type: "fs", backend_options: { root } }`
 * on Node, `{ backend_type: "r2", backend_options: { binding } }` on Workers.
 */
export type NativeBucket = (name: string) => { backend_type: string; backend_options: Record<string, string> };

/** Native buckets as directories under `root` (the Node server). */
export function fsNativeBuckets(root: string): NativeBucket {
  return (name) => ({ backend_type: "fs", backend_options: { root: join(root, name) } });
}

/** Builds the suite's configuration. */
export function behaviourConfig(s3: S3rverHandle, native: NativeBucket, gcs: GcsTestServer, azurite: AzuriteHandle) {
  const s3Options = (bucket: string) => ({
    endpoint: s3.endpoint,
    bucket_name: bucket,
    region: s3.region,
    access_key_id: s3.accessKeyId,
    secret_access_key: s3.secretAccessKey,
    force_path_style: "true",
  });
  const bucket = (name: string, backendType: string, options: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    name,
    backend_type: backendType,
    anonymous_access: false,
    backend_options: options,
    ...extra,
  });
  const gcsOptions = (bucket: string) => ({ endpoint: gcs.endpoint, bucket_name: bucket, service_account_key: gcs.serviceAccountKey });
  const azOptions = (container: string) => ({ endpoint: azurite.endpoint, account_name: azurite.accountName, container_name: container, access_key: azurite.accountKey });
  const limitedScopes = [BUCKETS.s3, BUCKETS.native, BUCKETS.gcs, BUCKETS.az].map((name) => ({
    bucket: name,
    prefixes: ["allowed/"],
    actions: ["get_object", "head_object", "list_bucket", "put_object", "delete_object", "create_multipart_upload", "upload_part", "complete_multipart_upload", "abort_multipart_upload"],
  }));
  return {
    buckets: [
      // Written without its trailing "/": the prefix is joined to keys with exactly one "/" all the same.
      bucket(BUCKETS.s3, "s3", s3Options("data"), { backend_prefix: "tenant" }),
      bucket(BUCKETS.s3Other, "s3", s3Options("other")),
      bucket(BUCKETS.publicS3, "s3", s3Options("public"), { anonymous_access: true, cors_rules: PUBLIC_BUCKET_CORS_RULES }),
      { name: BUCKETS.native, anonymous_access: false, ...native(BUCKETS.native) },
      { name: BUCKETS.nativeOther, anonymous_access: false, ...native(BUCKETS.nativeOther) },
      { name: BUCKETS.publicNative, anonymous_access: true, ...native(BUCKETS.publicNative) },
      bucket(BUCKETS.gcs, "gcs", gcsOptions("gcs-data")),
      bucket(BUCKETS.gcsOther, "gcs", gcsOptions("gcs-other")),
      bucket(BUCKETS.az, "az", azOptions("az-data")),
      bucket(BUCKETS.azOther, "az", azOptions("az-other")),
    ],
    roles: [],
    cors_rules: CORS_RULES,
    credentials: [
      credential("AKIAADMIN0000000001", "admin-secret-0000000000000000000000001", [{ bucket: "*", prefixes: [], actions: ALL_ACTIONS }]),
      credential("AKIALIMITED00000001", "limited-secret-00000000000000000000001", limitedScopes),
      credential("AKIADISABLED0000001", "disabled-secret-0000000000000000000001", [{ bucket: "*", prefixes: [], actions: ALL_ACTIONS }], { enabled: false }),
      credential("AKIAEXPIRED00000001", "expired-secret-00000000000000000000001", [{ bucket: "*", prefixes: [], actions: ALL_ACTIONS }], { expires_at: "2024-06-01T00:00:00Z" }),
    ],
  };
}

/** Starts the world: s3rver, a temp dir, then the gateway runtime (native buckets on fs unless `native` says else). */
export async function startWorld(
  start: StartGateway,
  options: { domain?: string; native?: NativeBucket; exceptions?: RuntimeExceptions } = {},
): Promise<World & { close(): Promise<void> }> {
  const s3 = await startS3rver({ buckets: ["data", "other", "public"] });
  const gcs = await startGcsTestServer({ buckets: ["gcs-data", "gcs-other"] });
  const azurite = await startAzurite();
  await azurite.createContainer("az-data");
  await azurite.createContainer("az-other");
  const root = await mkdtemp(join(tmpdir(), "multistore-behaviour-"));
  const target = await start(behaviourConfig(s3, options.native ?? fsNativeBuckets(root), gcs, azurite), { ...(options.domain && { domain: options.domain }) });
  return {
    endpoint: target.endpoint,
    admin: { accessKeyId: "AKIAADMIN0000000001", secretAccessKey: "admin-secret-0000000000000000000000001" },
    limited: { accessKeyId: "AKIALIMITED00000001", secretAccessKey: "limited-secret-00000000000000000000001" },
    disabled: { accessKeyId: "AKIADISABLED0000001", secretAccessKey: "disabled-secret-0000000000000000000001" },
    expired: { accessKeyId: "AKIAEXPIRED00000001", secretAccessKey: "expired-secret-00000000000000000000001" },
    s3,
    exceptions: options.exceptions ?? {},
    sdkDefaults: options.exceptions?.noExpectContinue ? { expectContinueHeader: false } : {},
    async close() {
      await target.close();
      await s3.close();
      await gcs.close();
      await azurite.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
