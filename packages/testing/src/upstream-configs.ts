/**
 * The original multistore's five published configs (../shared/fixtures/upstream-configs), as each runtime takes
 * them: the TOML text for the server, and the proxy config table for the Worker's PROXY_CONFIG.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "toml";

/** One published config. */
export interface UpstreamConfig {
  /** File name in the fixtures folder. */
  file: string;
  /** The proxy config as TOML text (the file, or the TOML block of the documented example). */
  toml: string | undefined;
  /** The proxy config as a table (a Workers config's `[vars.PROXY_CONFIG]`, or the parsed TOML). */
  table: Record<string, unknown>;
}

/** The fixtures folder, next to the repository. */
export const UPSTREAM_CONFIGS_DIR = join(import.meta.dirname, "../../../../shared/fixtures/upstream-configs");

/** The five configs; a Workers config's `toml` is undefined (its proxy config is a table inside a wrangler file). */
export function upstreamConfigs(directory = UPSTREAM_CONFIGS_DIR): UpstreamConfig[] {
  const read = (file: string) => readFileSync(join(directory, file), "utf8");
  const plain = (file: string, toml: string): UpstreamConfig => ({ file, toml, table: parseToml(toml) as Record<string, unknown> });
  const workers = (file: string): UpstreamConfig => ({
    file,
    toml: undefined,
    table: (parseToml(read(file)) as { vars: { PROXY_CONFIG: Record<string, unknown> } }).vars.PROXY_CONFIG,
  });
  const documented = /```toml\n([\s\S]*?)```/.exec(read("docs_reference_config-example.md"))?.[1];
  if (documented === undefined) throw new Error("docs_reference_config-example.md has no TOML block");
  return [
    plain("examples_server_config.toml", read("examples_server_config.toml")),
    plain("docs_reference_config-example.md", documented),
    workers("examples_cf-workers_wrangler.toml"),
    workers("examples_cf-workers_wrangler.deploy.toml"),
    workers("examples_cf-workers_wrangler.integration.toml"),
  ];
}
