/**
 * The rclone adapter of the matrix: an S3 remote configured only through environment variables, virtual-hosted
 * requests through the loopback proxy.
 */
import { writeFile } from "node:fs/promises";
import type { ClientTarget, MatrixClient } from "./adapters.js";
import { CLIENT_APT_INSTALL, cleanEnv, mustRunBytes, requireTool, whichTool } from "./tools.js";

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
        // Server-side copies above 5 MiB in parts (UploadPartCopy with ranges), as above 4.6 GiB by default.
        RCLONE_CONFIG_MULTISTORE_COPY_CUTOFF: "5M",
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
    copy: async (target, bucket, sourceKey, key, toBucket = bucket) => void (await rclone(target, ["copyto", `multistore:${bucket}/${sourceKey}`, `multistore:${toBucket}/${key}`])),
    copiesInParts: true,
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
