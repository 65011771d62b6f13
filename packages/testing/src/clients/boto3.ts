/**
 * The boto3 adapter of the matrix (pyenv's python3 or Debian's python3-boto3): a small Python driver, run once per
 * operation, with the client configured in code and nothing read from the user's AWS files.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientTarget, MatrixClient, Presigner } from "./adapters.js";
import { pythonEnv } from "./adapter-support.js";
import { cleanEnv, mustRun, requireTool, sameFile, succeeds, whichTool } from "./tools.js";

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
elif op == "copy":
    s3.copy({"Bucket": a["bucket"], "Key": a["source"]}, a["toBucket"], a["key"])
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
    // s3.copy: above 8 MiB (the default multipart_threshold) in parts.
    copy: async (target, bucket, source, key, toBucket = bucket) => void (await run(target, { op: "copy", bucket, source, key, toBucket })),
    copiesInParts: true,
    list: async (target, bucket, prefix) => JSON.parse(await run(target, { op: "list", bucket, prefix })) as string[],
    deleteRecursive: async (target, bucket, prefix) => void (await run(target, { op: "delete", bucket, prefix })),
    rangedRead: async (target, bucket, key, start, end, file) => void (await run(target, { op: "range", bucket, key, start, end, file })),
    presigners: [presign(false), presign(true)],
    multipart: true,
  };
}
