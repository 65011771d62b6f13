/**
 * The built-in config's development key is public (config.toml and the README print its secret), so a server that
 * holds it must not be reachable from other machines by accident: it listens on loopback by default and refuses a
 * wider address unless the operator says so (`--allow-development-key`).
 */
import { isIPv6 } from "node:net";
import type { MultistoreConfig } from "@multistore/config";
import { isLoopbackHost } from "@multistore/core";

/** The access key id of the built-in config's development key. */
export const DEVELOPMENT_ACCESS_KEY_ID = "MULTISTOREDEVKEY0001";
/** Its secret, as published. */
const DEVELOPMENT_SECRET = "multistore-dev-secret-change-me-0000000000";

/**
 * The access key id of an enabled credential that is the development key: its id, or its published secret under
 * another id (a copy of config.toml with only the id changed is just as open).
 */
export function developmentKeyIn(config: Pick<MultistoreConfig, "credentials">): string | undefined {
  const found = config.credentials.find(
    (credential) => credential.enabled !== false && (credential.access_key_id === DEVELOPMENT_ACCESS_KEY_ID || credential.secret_access_key === DEVELOPMENT_SECRET),
  );
  return found?.access_key_id;
}

/**
 * Whether binding `host` (as `--listen` gives it) keeps the server on this machine: `localhost`, 127.0.0.0/8, `::1`
 * (and 127.0.0.0/8 mapped into IPv6). Any other name counts as reachable: it may resolve to anything.
 */
export function isLoopbackListenHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  let hostname: string;
  try {
    // The URL parser normalizes the spellings an address may take (127.1, 0:0:0:0:0:0:0:1, ::ffff:127.0.0.1).
    hostname = new URL(`http://${isIPv6(bare) ? `[${bare}]` : bare}`).hostname;
  } catch {
    return false;
  }
  // Core's check (URL hostnames), and 127.0.0.0/8 as an IPv4-mapped IPv6 address.
  return isLoopbackHost(hostname) || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname);
}

/** What the CLI does about the development key; see `developmentKeyPolicy`. */
export type DevelopmentKeyDecision =
  /** Listen on `host`, saying `notice` (if any) once at startup. */
  | { host: string; notice?: string }
  /** Refuse to start (exit code 2) with this message. */
  | { refusal: string };

/** The facts `developmentKeyPolicy` decides on. */
export interface DevelopmentKeyFacts {
  /** The development key's access key id in the config, if it holds it (`developmentKeyIn`). */
  key: string | undefined;
  /** The address to listen on. */
  host: string;
  /** The port to listen on (for the messages). */
  port: number;
  /** Whether `--listen` (or MULTISTORE_LISTEN) chose the address; otherwise it is the default, 0.0.0.0. */
  listenGiven: boolean;
  /** `--allow-development-key` (or MULTISTORE_ALLOW_DEVELOPMENT_KEY=true). */
  allowed: boolean;
  /** The config file, for the message. */
  source: string;
}

/**
 * Decides where a server may listen. With the development key and no address given, it listens on 127.0.0.1 only,
 * so the Quick start works in one command and is safe; an address given that other machines reach is refused, unless
 * allowed (then it is said loudly). Without the development key nothing changes.
 */
export function developmentKeyPolicy(facts: DevelopmentKeyFacts): DevelopmentKeyDecision {
  const { key, host, port, source } = facts;
  if (key === undefined || isLoopbackListenHost(host)) return { host };
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (facts.allowed) {
    return {
      host,
      notice: `the development key ${key} (its secret is published) is configured in ${source} and the server listens on ${address}, reachable from other machines, because --allow-development-key was given: anyone who reaches it can use that key. Replace the key with one of your own.`,
    };
  }
  if (!facts.listenGiven) {
    return {
      host: "127.0.0.1",
      notice: `the development key ${key} is configured in ${source}: listening on 127.0.0.1:${port} (this machine only) instead of the default ${address}. Replace the key with one of your own to listen on other addresses (or see --allow-development-key).`,
    };
  }
  return {
    refusal:
      `refusing to listen on ${address}: ${source} configures the development key ${key}, whose secret is published (config.toml, ` +
      `README), so anyone who reaches this address could use it.\nEither replace the key with one of your own, listen on this machine ` +
      `only (--listen 127.0.0.1:${port}), or start anyway with --allow-development-key (env MULTISTORE_ALLOW_DEVELOPMENT_KEY=true).\n`,
  };
}
