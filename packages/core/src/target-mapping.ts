/**
 * Target mapping: the hook that lets a catalogue-shaped namespace (`/{account}/{product}/{key}`) serve configured
 * buckets (`account:product`). It rewrites a path-style request after its signature was verified against the path the
 * client signed, and says how listings are shown so clients see the names they asked for. `@multistore/path-mapping`
 * implements it from the config file's `[path_mapping]`.
 */
import { compareUtf8 } from "./operations/list.js";
import { isVirtualHosted, parseS3Request, Query, splitTarget, type ParsedS3Request } from "./s3-request.js";

/** How a listing of a mapped bucket is shown to the client. */
export interface ListingView {
  /** The bucket the client named (the listing's `Name`). */
  name: string;
  /** What the client's keys carry in front of the mapped bucket's keys (e.g. `product/`). */
  keyPrefix: string;
}

/** A listing of the namespace itself: the mapped buckets under it, as common prefixes. */
export interface NamespaceListing {
  /** The bucket the client named (the listing's `Name`). */
  name: string;
  /** Configured buckets under this namespace start with this (e.g. `account:`). */
  bucketPrefix: string;
  /** Separator between the segments of a mapped bucket name (each becomes a `/` for the client). */
  separator: string;
  /**
   * How many segments follow `bucketPrefix` in a bucket's name, when the mapping knows: a separator inside the last
   * one (`logs-2024` under separator `-`) is then part of its name, not a level of its own, and a bucket with fewer
   * segments (which the mapping cannot reach) is left out. Absent: every separator is a level.
   */
  segments?: number;
}

/** A request rewritten onto the bucket it means. */
export interface MappedTarget {
  /** The raw path to serve (`/account%3Aproduct/key`); absent for a namespace listing. */
  rawPath?: string;
  /** The resource as the client named it, for error documents (`/account/product/key`). */
  resource: string;
  /** Set for listings of a mapped bucket. */
  listing?: ListingView;
  /** Set for an object request on a mapped bucket: the bucket and key prefix the client named (multipart answers name them). */
  shown?: ListingView;
  /** Set for listings above any mapped bucket. */
  namespace?: NamespaceListing;
}

/** Rewrites path-style requests (virtual-hosted ones are left alone). */
export interface TargetMapping {
  /** The mapped target, or undefined to serve the request as it is. */
  map(method: string, rawPath: string, query: Query): MappedTarget | undefined;
}

/**
 * A client-side key, prefix or start key in the mapped bucket's terms (`product/x` → `x`). A start key outside the
 * view sorts before all of it (`""`) or after all of it (the largest key).
 */
export function stripViewPrefix(view: ListingView | undefined, value: string): string {
  if (view === undefined || value.startsWith(view.keyPrefix)) return view === undefined ? value : value.slice(view.keyPrefix.length);
  return compareUtf8(value, view.keyPrefix) < 0 ? "" : "\u{10FFFF}";
}

/**
 * Parses a mapped request: the mapped bucket's names for everything it does, the client's for error documents. A
 * CopyObject's (and UploadPartCopy's) source names a path of the namespace too, and is mapped the same way.
 */
export function parseMappedRequest(method: string, headers: Headers, mapped: MappedTarget, query: Query, mapping: TargetMapping): ParsedS3Request {
  const parsed = parseS3Request(method, "", headers, undefined, { rawPath: mapped.rawPath ?? mapped.resource, query });
  parsed.resource = mapped.resource;
  if (mapped.listing) parsed.listing = mapped.listing;
  if (mapped.shown) parsed.shown = mapped.shown;
  if (mapped.namespace) parsed.namespace = mapped.namespace;
  const source = parsed.operation === "CopyObject" || parsed.operation === "UploadPartCopy" ? headers.get("x-amz-copy-source") : null;
  if (source) {
    const questionMark = source.indexOf("?");
    const path = `/${(questionMark === -1 ? source : source.slice(0, questionMark)).replace(/^\//, "")}`;
    const mappedSource = mapping.map("GET", path, new Query(""));
    if (mappedSource?.rawPath !== undefined) parsed.copySource = mappedSource.rawPath + (questionMark === -1 ? "" : source.slice(questionMark));
  }
  return parsed;
}

/**
 * A request's target as a mapping made it (`mapped`), or what the mapping threw (`error`), kept for the request's
 * parsing to raise: a CORS request is mapped before authentication (its mapped bucket's rules apply even to a refused
 * request), and only once.
 */
export type MappingAttempt = { mapped: MappedTarget | undefined } | { error: unknown };

/**
 * Maps a request (a preflight: the request it announces) for looking up the mapped bucket's CORS rules; undefined
 * when no mapping applies or its target is malformed (the request itself is refused later).
 */
export function attemptMapping(mapping: TargetMapping | undefined, method: string, target: string, headers: Headers, domain: string | undefined): MappingAttempt | undefined {
  if (mapping === undefined || isVirtualHosted(headers, domain)) return undefined;
  let split: { rawPath: string; query: Query };
  try {
    split = splitTarget(target);
  } catch {
    return undefined; // A malformed target gets the global rules; the request itself is refused later.
  }
  try {
    return { mapped: mapping.map(method === "OPTIONS" ? (headers.get("access-control-request-method") ?? "GET") : method, split.rawPath, split.query) };
  } catch (error) {
    return { error };
  }
}

/** The raw path an attempt mapped to; undefined when nothing was mapped (the global rules apply then). */
export function attemptedRawPath(attempt: MappingAttempt | undefined): string | undefined {
  return attempt !== undefined && "mapped" in attempt ? attempt.mapped?.rawPath : undefined;
}

/** The target an attempt mapped to, as `map` returned it; throws what `map` threw. */
export function attemptedTarget(attempt: MappingAttempt): MappedTarget | undefined {
  if ("error" in attempt) throw attempt.error;
  return attempt.mapped;
}
