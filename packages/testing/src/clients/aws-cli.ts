/**
 * The aws-cli adapter of the matrix (v1 from PATH or Debian's v2): `aws s3` and `aws s3api` commands with an
 * isolated config file and credentials in the environment.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientTarget, MatrixClient, Presigner } from "./adapters.js";
import { keysFromLines, pythonEnv } from "./adapter-support.js";
import { cleanEnv, mustRun, requireTool, versionOf, whichTool } from "./tools.js";

const awsCredentialsEnv = (target: ClientTarget) => ({
  AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
  AWS_DEFAULT_REGION: target.region,
  AWS_REGION: target.region,
});

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
    // Above 8 MiB (the default multipart_threshold) in parts.
    copy: async (target, bucket, sourceKey, key, toBucket = bucket) => void (await aws(target, ["s3", "cp", "--no-progress", `s3://${bucket}/${sourceKey}`, `s3://${toBucket}/${key}`])),
    copiesInParts: true,
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
