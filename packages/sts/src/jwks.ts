/**
 * OIDC signing keys: discovery (`{issuer}/.well-known/openid-configuration`), then the JWKS at its `jwks_uri`, cached
 * per issuer. Web-standard `fetch` only, so it runs on Node and on Workers.
 */
import { isLoopbackHost } from "@multistore/core";
import { AnswerTooLargeError, responseText } from "@multistore/core/backend";
import type { JSONWebKeySet } from "jose";
import { StsError } from "./errors.js";

/** Options of `createJwksCache`. */
export interface JwksCacheOptions {
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch;
  /** Clock in ms, for tests (default `Date.now`). */
  now?: () => number;
  /** How long a fetched JWKS is used before it is fetched again (default 10 min). */
  ttlMs?: number;
  /** Refetches for an unknown `kid` happen at most once per issuer per this interval (default 30 s). */
  refetchIntervalMs?: number;
  /** Timeout of each discovery or JWKS request (default 5 s). */
  timeoutMs?: number;
  /**
   * TEST ONLY: also accept `http://` issuers and `jwks_uri`s on loopback hosts (127.0.0.0/8, `localhost`, `::1`).
   * Without it only `https://` is fetched. Never needed in production.
   */
  allowInsecureIssuers?: boolean;
  /**
   * Whether concurrent callers needing the same issuer's keys share one in-flight fetch (default true). Set false on
   * Cloudflare Workers: there a promise created while serving one request belongs to that request's I/O, and another
   * request awaiting it can hang or fail once the first request ends. Unshared, each caller of a cold or expired
   * cache fetches for itself (the result is still cached for later callers); the unknown-kid refetch limit still
   * applies.
   */
  shareInFlight?: boolean;
}

/** The keys of one issuer, and whether they were fetched by this very call. */
export interface IssuerKeys {
  /** The issuer's JWKS. */
  jwks: JSONWebKeySet;
  /** True when the keys were just fetched (a refetch for an unknown kid would be pointless). */
  fresh: boolean;
}

/** Per-issuer JWKS cache. */
export interface JwksCache {
  /** The issuer's keys, from the cache while younger than the TTL. */
  keys(issuer: string): Promise<IssuerKeys>;
  /**
   * Fetches the keys again because a token named a kid the cached set lacks; undefined when the issuer was refetched
   * less than `refetchIntervalMs` ago (tokens with made-up kids must not turn us into a request amplifier).
   */
  refetch(issuer: string): Promise<JSONWebKeySet | undefined>;
}

const MAX_DOCUMENT_BYTES = 512 * 1024;

/** Throws unless `url` is https (or loopback http with the test-only switch). */
export function checkIssuerUrl(url: string, allowInsecure: boolean, what = "issuer"): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StsError("IDPCommunicationError", `The ${what} ${url} is not a URL.`);
  }
  if (parsed.protocol === "https:") return parsed;
  if (parsed.protocol === "http:" && allowInsecure && isLoopbackHost(parsed.hostname)) return parsed;
  throw new StsError("IDPCommunicationError", `The ${what} ${url} must use https.`);
}

/** Creates a JWKS cache. */
export function createJwksCache(options: JwksCacheOptions = {}): JwksCache {
  const fetcher = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? 10 * 60_000;
  const refetchInterval = options.refetchIntervalMs ?? 30_000;
  const timeout = options.timeoutMs ?? 5_000;
  const allowInsecure = options.allowInsecureIssuers === true;
  const shareInFlight = options.shareInFlight !== false;
  const entries = new Map<string, { jwks: JSONWebKeySet; fetchedAt: number }>();
  const lastRefetch = new Map<string, number>();
  const pending = new Map<string, Promise<JSONWebKeySet>>();

  async function getJson(url: string, what: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetcher(url, { headers: { accept: "application/json" }, redirect: "manual", signal: AbortSignal.timeout(timeout) });
    } catch (error) {
      throw new StsError("IDPCommunicationError", `Could not fetch the ${what} at ${url}.`, { cause: error });
    }
    if (!response.ok) {
      void response.body?.cancel().catch(() => undefined);
      throw new StsError("IDPCommunicationError", `The ${what} at ${url} answered HTTP ${response.status}.`);
    }
    let text: string;
    try {
      // Read no further than a document may be (the same signal bounds the time).
      text = await responseText(response, MAX_DOCUMENT_BYTES);
    } catch (error) {
      const reason = error instanceof AnswerTooLargeError ? "is too large" : "did not arrive in full (in time)";
      throw new StsError("IDPCommunicationError", `The ${what} at ${url} ${reason}.`, { cause: error });
    }
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new StsError("IDPCommunicationError", `The ${what} at ${url} is not a JSON object.`);
  }

  async function load(issuer: string): Promise<JSONWebKeySet> {
    const base = checkIssuerUrl(issuer, allowInsecure).href.replace(/\/$/, "");
    const discovery = await getJson(`${base}/.well-known/openid-configuration`, "OpenID configuration");
    if (discovery.issuer !== issuer) {
      throw new StsError("IDPCommunicationError", `The OpenID configuration of ${issuer} names another issuer.`);
    }
    if (typeof discovery.jwks_uri !== "string") {
      throw new StsError("IDPCommunicationError", `The OpenID configuration of ${issuer} has no jwks_uri.`);
    }
    const jwksUri = checkIssuerUrl(discovery.jwks_uri, allowInsecure, "jwks_uri").href;
    const jwks = await getJson(jwksUri, "JWKS");
    if (!Array.isArray(jwks.keys)) throw new StsError("IDPCommunicationError", `The JWKS at ${jwksUri} has no keys.`);
    return jwks as unknown as JSONWebKeySet;
  }

  async function loadAndStore(issuer: string): Promise<JSONWebKeySet> {
    const jwks = await load(issuer);
    entries.set(issuer, { jwks, fetchedAt: now() });
    return jwks;
  }

  /**
   * Shared: fetches once even when many requests need the same issuer's keys at the same time. Unshared: the caller's
   * own fetch, so no caller ever awaits a promise another caller created.
   */
  function fetchKeys(issuer: string): Promise<JSONWebKeySet> {
    if (!shareInFlight) return loadAndStore(issuer);
    let promise = pending.get(issuer);
    if (!promise) {
      promise = loadAndStore(issuer).finally(() => pending.delete(issuer));
      pending.set(issuer, promise);
    }
    return promise;
  }

  return {
    async keys(issuer) {
      const entry = entries.get(issuer);
      if (entry && now() - entry.fetchedAt < ttl) return { jwks: entry.jwks, fresh: false };
      return { jwks: await fetchKeys(issuer), fresh: true };
    },
    async refetch(issuer) {
      const last = lastRefetch.get(issuer);
      if (last !== undefined && now() - last < refetchInterval) return undefined;
      lastRefetch.set(issuer, now());
      return fetchKeys(issuer);
    },
  };
}
