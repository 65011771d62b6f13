/** Loads the config file the server was pointed at. */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseJsonConfig, parseTomlConfig, type MultistoreConfig } from "@multistore/config";

/** Reads and validates a TOML (or `.json`) config file; relative fs roots resolve against its directory. */
export async function loadConfigFile(path: string): Promise<MultistoreConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    throw new Error(`cannot read config file ${absolute}: ${(error as Error).message}`);
  }
  const options = { baseDirectory: dirname(absolute), source: absolute };
  return absolute.endsWith(".json") ? parseJsonConfig(text, options) : parseTomlConfig(text, options);
}
