/** Loads the config file the server was pointed at. */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError, parseJsonConfig, parseTomlConfig, type MultistoreConfig } from "@multistore/config";

/** Options of `loadConfigFile`. */
export interface LoadConfigOptions {
  /** Receives remarks on a config that loads anyway (default: `console.warn`). */
  onWarning?: (message: string) => void;
}

/**
 * Reads and validates a TOML (or `.json`) config file; relative paths resolve against its directory, and a gcs
 * bucket's `service_account_path` is read into its `service_account_key`.
 */
export async function loadConfigFile(path: string, options: LoadConfigOptions = {}): Promise<MultistoreConfig> {
  const absolute = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(absolute);
  } catch (error) {
    throw new Error(`cannot read config file ${absolute}: ${(error as Error).message}`);
  }
  let text: string;
  try {
    // TOML and JSON files are UTF-8: a byte that is not would become U+FFFD in a name or a path, silently.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError([{ path: "", message: "the file is not valid UTF-8 (TOML and JSON config files must be)" }], absolute);
  }
  const parseOptions = { baseDirectory: dirname(absolute), source: absolute, ...(options.onWarning && { onWarning: options.onWarning }) };
  const config = absolute.endsWith(".json") ? parseJsonConfig(text, parseOptions) : parseTomlConfig(text, parseOptions);
  await readKeyFiles(config, absolute);
  return config;
}

/** Replaces each gcs bucket's `service_account_path` by the key file's contents (`service_account_key`). */
async function readKeyFiles(config: MultistoreConfig, source: string): Promise<void> {
  for (const [index, bucket] of config.buckets.entries()) {
    const keyPath = bucket.backend_options.service_account_path;
    if (bucket.backend_type !== "gcs" || keyPath === undefined) continue;
    const field = `buckets[${index}].backend_options.service_account_path`;
    if (bucket.backend_options.service_account_key !== undefined) {
      throw new ConfigError([{ path: field, message: `${field}: set service_account_key or service_account_path, not both` }], source);
    }
    try {
      bucket.backend_options.service_account_key = await readFile(keyPath, "utf8");
    } catch (error) {
      // The path is configuration, not a secret; the file's contents never appear.
      throw new ConfigError([{ path: field, message: `${field}: cannot read ${keyPath} (${(error as NodeJS.ErrnoException).code ?? "error"})` }], source);
    }
    delete bucket.backend_options.service_account_path;
  }
}
