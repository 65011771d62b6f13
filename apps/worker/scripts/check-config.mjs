#!/usr/bin/env node
/**
 * Checks the proxy config embedded in a wrangler file before it is deployed: every `PROXY_CONFIG` table (top-level
 * `[vars]` and each `[env.*.vars]`) must parse and every bucket's backend must build, as the Worker will do at its
 * first request. Exit code 2 and the fields at fault otherwise. A PROXY_CONFIG kept as a secret is not in the file
 * and is not checked here.
 *
 *   node scripts/check-config.mjs [wrangler.toml]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createAzureBackend } from "@multistore/backend-azure";
import { createGcsBackend } from "@multistore/backend-gcs";
import { createS3Backend } from "@multistore/backend-s3";
import { checkBackends, parseConfig, parseJsonConfig } from "@multistore/config";
import { parse as parseToml } from "toml";

const file = resolve(process.argv[2] ?? "wrangler.toml");
let wrangler;
try {
  wrangler = parseToml(readFileSync(file, "utf8"));
} catch (error) {
  process.stderr.write(`check-config: cannot read ${file}: ${error.message}\n`);
  process.exit(2);
}

/** Federated buckets get their credentials from secrets at run time: stand-ins that are never called. */
const never = () => {
  throw new Error("not called while checking");
};

function factories(r2Bindings) {
  const federated = (bucket) => bucket.backend_options.auth_type === "oidc";
  return {
    s3: (bucket) => createS3Backend(bucket.backend_options, federated(bucket) ? { credentials: never } : {}),
    az: (bucket) => createAzureBackend(bucket.backend_options, federated(bucket) ? { userDelegationKey: never } : {}),
    gcs: (bucket) => {
      if (bucket.backend_options.service_account_path !== undefined) {
        throw new Error("service_account_path: the Worker has no files to read a key from: put the key's JSON in service_account_key (as a secret)");
      }
      return createGcsBackend(bucket.backend_options, federated(bucket) ? { signBlob: never, accessToken: never } : {});
    },
    r2: (bucket) => {
      const binding = bucket.backend_options.binding ?? "";
      if (!r2Bindings.has(binding)) throw new Error(`binding "${binding}" is not an R2 binding of this Worker (add it under r2_buckets)`);
      return {};
    },
  };
}

const places = [["[vars]", wrangler]];
for (const [name, environment] of Object.entries(wrangler.env ?? {})) places.push([`[env.${name}.vars]`, environment]);
let checked = 0;
let failed = false;
for (const [where, section] of places) {
  const raw = section.vars?.PROXY_CONFIG;
  if (raw === undefined) continue;
  checked++;
  const source = `${file} ${where} PROXY_CONFIG`;
  // r2_buckets are not inherited by environments (wrangler's rule): an environment lists its own.
  const r2Bindings = new Set((section.r2_buckets ?? []).map((entry) => entry.binding));
  try {
    const options = { source, onWarning: (message) => process.stderr.write(`check-config: warning: ${message}\n`) };
    const config = typeof raw === "string" ? parseJsonConfig(raw, options) : parseConfig(raw, options);
    checkBackends(config, factories(r2Bindings), { source, runtime: "the Worker", unavailable: { fs: "the Worker has no file system: serve fs buckets with the Node server" } });
    process.stdout.write(`check-config: ${source}: ${config.buckets.length} bucket(s) OK\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(`check-config: ${error.message}\n`);
  }
}
if (checked === 0) process.stdout.write(`check-config: ${file} embeds no PROXY_CONFIG (a secret provides it)\n`);
process.exit(failed ? 2 : 0);
