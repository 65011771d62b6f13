/**
 * Registries served by an HTTP service the operator runs (in front of a database, say), so buckets, credentials and
 * roles need not live in a file. The service answers JSON documents shaped exactly like the config file's entries:
 *
 *   GET <url>/buckets/<name>              200 a bucket                 404 no such bucket
 *   GET <url>/buckets                     200 an array of buckets
 *   GET <url>/credentials/<access key id> 200 a credential             404 no such key
 *   GET <url>/roles/<role id>             200 a role                   404 no such role
 *
 * Every document is validated by the config schema (with the same defaults and messages as a file); a document that
 * fails, names another entry than the one asked for, or a service that errs or does not answer within the timeout
 * makes the request fail with `503 ServiceUnavailable` (the cause is kept for logs, never shown). Wrap the result in
 * `createCachedRegistries` so that requests do not each reach the service. Runtime-free: uses `fetch`.
 */
import { S3Error, type BucketConfig, type StoredCredential } from "@multistore/core";
import { responseText } from "@multistore/core/backend";
import { isConfigError } from "./config-error.js";
import { parseConfig } from "./parse-config.js";
import type { Registries } from "./cached-registries.js";
import type { RoleDefinition } from "./types.js";

/** The largest document a registry may answer (a listing of every bucket, credential or role included). */
const MAX_REGISTRY_DOCUMENT_BYTES = 8 * 1024 * 1024;

/** Options of `createHttpRegistries`. */
export interface HttpRegistriesOptions {
  /** Base URL of the service (`https://catalog.internal/multistore`); the paths above are appended. */
  url: string;
  /** Headers sent with every lookup (e.g. `authorization`). */
  headers?: Record<string, string>;
  /** How long one lookup may take, answer included (ms; default 5,000). */
  timeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Told about documents that load with remarks (as `parseConfig`'s `onWarning`). */
  onWarning?: (message: string) => void;
}

/** Creates bucket, credential and role registries backed by the service at `options.url`. */
export function createHttpRegistries(options: HttpRegistriesOptions): Required<Registries> {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new TypeError("createHttpRegistries: url is not a URL");
  }
  // Lookups are paths below the URL's own (`<url>/buckets/<name>`): a query or fragment would be lost, and every lookup
  // sent elsewhere.
  if (base.search !== "" || base.hash !== "" || options.url.includes("?") || options.url.includes("#")) {
    throw new TypeError("createHttpRegistries: url must not hold a query or fragment (send a credential in headers)");
  }
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  if (base.protocol !== "https:" && base.protocol !== "http:") throw new TypeError(`createHttpRegistries: url must be http(s) (got ${base.protocol})`);
  // fetch refuses URLs that hold credentials (every lookup would fail, its error naming the URL): use `headers`.
  if (base.username !== "" || base.password !== "") throw new TypeError("createHttpRegistries: url must not hold a user or password (send a credential in headers)");
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new TypeError(`createHttpRegistries: timeoutMs must be a positive number (got ${String(options.timeoutMs)})`);
  const fetcher = options.fetch ?? fetch;
  const unavailable = (what: string, cause: unknown) => new S3Error("ServiceUnavailable", { message: "The registry is unavailable.", cause: new Error(`${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }) });

  /** The JSON document at `path`, or undefined for a 404. */
  async function get(path: string): Promise<unknown> {
    const url = new URL(path, base);
    let response: Response;
    try {
      response = await fetcher(url, { headers: { accept: "application/json", ...options.headers }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw unavailable(`GET ${url.pathname}`, error);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(`GET ${url.pathname}`, `status ${response.status}`);
    }
    try {
      // Capped as it arrives: a registry answering without end must not grow the gateway's memory.
      return JSON.parse(await responseText(response, MAX_REGISTRY_DOCUMENT_BYTES));
    } catch (error) {
      throw unavailable(`GET ${url.pathname}`, error);
    }
  }

  /** Validates documents as the config file's entries of `section`. */
  function parse<K extends "buckets" | "credentials" | "roles">(section: K, documents: unknown[], source: string) {
    try {
      // One entry alone cannot be checked against the rest (the buckets a scope names live elsewhere).
      const config = parseConfig({ [section]: documents }, { source, checkReferences: false, ...(options.onWarning && { onWarning: options.onWarning }) });
      return config[section];
    } catch (error) {
      throw unavailable(source, isConfigError(error) ? error.issues.map((issue) => issue.message).join("; ") : error);
    }
  }

  /** One entry by name: it must name itself as asked, or it is not trusted. */
  async function one<T>(section: "buckets" | "credentials" | "roles", field: string, name: string): Promise<T | undefined> {
    const source = `${section}/${name}`;
    // "." and ".." would be path segments of their own (the service's base URL): no entry has such a name.
    if (name === "" || name === "." || name === "..") return undefined;
    const document = await get(`${section}/${encodeURIComponent(name)}`);
    if (document === undefined) return undefined;
    const [entry] = parse(section, [document], source) as unknown as Record<string, unknown>[];
    if (entry?.[field] !== name) throw unavailable(source, `the document is for ${field} ${JSON.stringify(entry?.[field])}`);
    return entry as T;
  }

  return {
    buckets: {
      getBucket: (name) => one<BucketConfig>("buckets", "name", name),
      listBuckets: async () => {
        const documents = await get("buckets");
        if (!Array.isArray(documents)) throw unavailable("buckets", "the document is not an array");
        return parse("buckets", documents, "buckets") as BucketConfig[];
      },
    },
    credentials: { getCredential: (id) => one<StoredCredential>("credentials", "access_key_id", id) },
    roles: (id) => one<RoleDefinition>("roles", "role_id", id),
  };
}
