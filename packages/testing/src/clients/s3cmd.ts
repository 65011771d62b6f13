/**
 * The s3cmd adapter of the matrix (SigV4 by default, or `signature_v2 = True`): a config file per scheme and style,
 * with HOME set to a scratch directory so that the user's ~/.s3cfg is never read.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientTarget, MatrixClient } from "./adapters.js";
import { keysFromLines, pythonEnv } from "./adapter-support.js";
import { CLIENT_APT_INSTALL, cleanEnv, mustRun, requireTool, whichTool } from "./tools.js";

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
    // CopyObject (s3cmd copies in parts only above 5 GiB).
    copy: async (target, bucket, sourceKey, key, toBucket = bucket) => void (await s3cmd(target, ["cp", `s3://${bucket}/${sourceKey}`, `s3://${toBucket}/${key}`])),
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
