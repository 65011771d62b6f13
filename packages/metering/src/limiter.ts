/**
 * Rate limits and bandwidth quotas over fixed windows. A request rate limit counts each admitted request when it is
 * checked (one atomic addition: instances sharing a store cannot both take the last slot); a bandwidth quota is read
 * before a request (refused once used up, or when the declared upload would exceed it) and charged afterwards with
 * the bytes actually streamed. A request that starts under its quota completes even when it takes the counter past.
 */
import type { RequestContext, RequestOutcome } from "@multistore/core";
import type { CounterStore, CounterUpdate, QuotaChecker, Refusal, UsageEstimate, UsageRecorder } from "./types.js";

/**
 * What one counter is kept per: `bucket` (every caller of a bucket together), `principal` (each authenticated
 * caller; anonymous requests are not counted) or `source_ip` (each client address, anonymous callers only).
 */
export type LimitScope = "bucket" | "principal" | "source_ip";

/** Which requests a rule applies to, and what it counts per. */
export interface RuleTarget {
  /** What one counter is kept per. */
  scope: LimitScope;
  /** Only requests on this bucket (default: every bucket). */
  bucket?: string | undefined;
  /** Only requests of this principal (default: every principal). */
  principal?: string | undefined;
  /**
   * Names the rule's counters (default: its kind and position, `r0`, `q1`, ...). Give rules that other rules may be
   * added before a stable id, so their counts survive the reordering.
   */
  id?: string | undefined;
}

/** At most `requests` requests per `window_secs` seconds per counter (`[[rate_limits]]` in the config file). */
export interface RateLimitRule extends RuleTarget {
  /** Requests allowed per window. */
  requests: number;
  /** Window length in seconds (default 1). */
  window_secs?: number | undefined;
}

/** At most `bytes` bytes per `window_secs` seconds per counter (`[[quotas]]` in the config file). */
export interface QuotaRule extends RuleTarget {
  /** Bytes allowed per window. */
  bytes: number;
  /** Window length in seconds. */
  window_secs: number;
  /** Which bytes count (default `total`). */
  direction?: "egress" | "ingress" | "total" | undefined;
}

/** Options of `createLimiter`. */
export interface LimiterOptions {
  /** Request rate limits. */
  rateLimits?: readonly RateLimitRule[] | undefined;
  /** Bandwidth quotas. */
  quotas?: readonly QuotaRule[] | undefined;
  /** Where the counters are kept. */
  store: CounterStore;
  /** Prefix of every counter key (default `multistore`); instances enforcing one limit together share it. */
  keyPrefix?: string | undefined;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/** A limiter: checks before dispatch, records after. */
export interface Limiter extends QuotaChecker, UsageRecorder {}

const SCOPES: readonly LimitScope[] = ["bucket", "principal", "source_ip"];
const MAX_WINDOW_SECS = 31 * 86400;

function checkRule(rule: RuleTarget, path: string, amountField: string, amount: unknown, window: unknown): void {
  if (!SCOPES.includes(rule.scope)) throw new Error(`${path}.scope must be one of ${SCOPES.join(", ")} (got ${JSON.stringify(rule.scope)})`);
  if (!Number.isSafeInteger(amount) || (amount as number) < 1) throw new Error(`${path}.${amountField} must be a positive integer`);
  if (!Number.isSafeInteger(window) || (window as number) < 1 || (window as number) > MAX_WINDOW_SECS) {
    throw new Error(`${path}.window_secs must be an integer from 1 to ${MAX_WINDOW_SECS}`);
  }
}

/**
 * Who a principal rule counts: the principal name of a long-lived key; for temporary credentials, their role (the
 * session name in their principal name is the caller's choice, and a fresh one must not mean fresh counters).
 */
export function principalOf(identity: RequestContext["identity"]): string | undefined {
  if (identity?.type !== "credential") return undefined;
  return identity.roleId === undefined ? identity.principalName : `role:${identity.roleId}`;
}

/**
 * The value a rule counts this request under, or undefined when the rule does not apply to it. `bucket`: the bucket
 * whose use is counted (the request's, or a streamed copy's source).
 */
function counterOf(rule: RuleTarget, context: RequestContext, bucket = context.bucket): string | undefined {
  if (rule.bucket !== undefined && rule.bucket !== bucket) return undefined;
  const identity = context.identity;
  const principal = principalOf(identity);
  if (rule.principal !== undefined && rule.principal !== principal) return undefined;
  switch (rule.scope) {
    case "bucket":
      return bucket;
    case "principal":
      return principal;
    case "source_ip":
      return identity?.type === "anonymous" ? context.sourceIp : undefined;
  }
}

/** Creates a limiter over `store`. Rules are checked here: a bad one throws, naming it. */
export function createLimiter(options: LimiterOptions): Limiter {
  const rateLimits = (options.rateLimits ?? []).map((rule, index) => {
    const window = rule.window_secs ?? 1;
    checkRule(rule, `rate_limits[${index}]`, "requests", rule.requests, window);
    return { ...rule, window, id: rule.id ?? `r${index}` };
  });
  const quotas = (options.quotas ?? []).map((rule, index) => {
    checkRule(rule, `quotas[${index}]`, "bytes", rule.bytes, rule.window_secs);
    const direction = rule.direction ?? "total";
    if (!["egress", "ingress", "total"].includes(direction)) throw new Error(`quotas[${index}].direction must be egress, ingress or total`);
    return { ...rule, window: rule.window_secs, direction, id: rule.id ?? `q${index}` };
  });
  const ids = [...rateLimits, ...quotas].map((rule) => rule.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw new Error(`two rules share the id ${JSON.stringify(repeated)}: each rule's counters need their own`);
  const prefix = options.keyPrefix ?? "multistore";
  const now = options.now ?? Date.now;
  const store = options.store;

  /** The counter key of a rule's value in the current window, and the seconds left in that window. */
  function windowOf(id: string, value: string, window: number) {
    const seconds = now() / 1000;
    const index = Math.floor(seconds / window);
    return { key: `${prefix}:${id}:${encodeURIComponent(value)}:${index}`, left: Math.max(1, Math.ceil((index + 1) * window - seconds)) };
  }

  /**
   * Bytes an admitted upload reserved in its quotas' counters, by counter key: the declared size, added when it was
   * checked, so that uploads checked at the same moment see each other (else each would find the quota free and all
   * pass it together). Its record charges what arrived less what it reserved.
   */
  const reservations = new WeakMap<RequestContext, CounterUpdate[]>();

  /**
   * The counters a streamed copy's bytes are charged to, once each way they count: as a download of `source` (egress
   * and total quotas) and as an upload to the request's bucket (ingress and total quotas), as if the caller had read
   * the object and written it again. A counter both count under (a caller's total) is charged twice, as for those
   * two requests.
   */
  function copyCharges(context: RequestContext, source: string): { rule: (typeof quotas)[number]; value: string; read: boolean }[] {
    const charges: { rule: (typeof quotas)[number]; value: string; read: boolean }[] = [];
    for (const rule of quotas) {
      const read = rule.direction === "ingress" ? undefined : counterOf(rule, context, source);
      if (read !== undefined) charges.push({ rule, value: read, read: true });
      const written = rule.direction === "egress" ? undefined : counterOf(rule, context);
      if (written !== undefined) charges.push({ rule, value: written, read: false });
    }
    return charges;
  }

  async function check(context: RequestContext, estimate: UsageEstimate): Promise<Refusal | undefined> {
    const updates: CounterUpdate[] = [];
    const limits: { limit: number; left: number; quota?: (typeof quotas)[number]; reserved: number; copiedFrom?: boolean }[] = [];
    for (const rule of rateLimits) {
      const value = counterOf(rule, context);
      if (value === undefined) continue;
      const { key, left } = windowOf(rule.id, value, rule.window);
      updates.push({ key, amount: 1, ttlSecs: rule.window });
      limits.push({ limit: rule.requests, left, reserved: 0 });
    }
    const reserved: CounterUpdate[] = [];
    // A quota refuses only requests that move bytes in its direction: a GET may send a body (egress), an upload
    // declares one (ingress). A used-up upload quota leaves reads, deletes and a multipart upload's completion alone.
    const sends = context.method === "GET";
    const receives = estimate.bytesIn > 0;
    for (const rule of quotas) {
      const moves = rule.direction === "egress" ? sends : rule.direction === "ingress" ? receives : sends || receives;
      if (!moves) continue;
      const value = counterOf(rule, context);
      if (value === undefined) continue;
      const { key, left } = windowOf(rule.id, value, rule.window);
      const incoming = rule.direction === "egress" ? 0 : Math.max(0, estimate.bytesIn);
      const update = { key, amount: incoming, ttlSecs: rule.window };
      updates.push(update);
      if (incoming > 0) reserved.push(update);
      limits.push({ limit: rule.bytes, left, quota: rule, reserved: incoming });
    }
    // A copy the gateway streams between stores is a download of its source and an upload of the request's bucket,
    // of a size not known yet: refused where a quota it will be charged to is used up (see `copyCharges`).
    const copy = context.copySource;
    if (copy?.streamed === true) {
      for (const { rule, value, read } of copyCharges(context, copy.bucket)) {
        const { key, left } = windowOf(rule.id, value, rule.window);
        if (updates.some((update) => update.key === key)) continue;
        updates.push({ key, amount: 0, ttlSecs: rule.window });
        limits.push({ limit: rule.bytes, left, quota: rule, reserved: 0, copiedFrom: read && rule.scope === "bucket" });
      }
    }
    if (updates.length === 0) return undefined;
    let totals: number[];
    try {
      totals = await store.add(updates);
    } catch (error) {
      // A reservation the store may still apply (its command timed out, a stalled Redis) is given back when the request
      // ends, as an admitted upload's is: else the upload is charged twice. (Counters never go below 0 if it was not.)
      if (reserved.length > 0 && (error as { mayHaveApplied?: unknown } | null)?.mayHaveApplied === true) reservations.set(context, reserved);
      throw error;
    }
    let refusal: Refusal | undefined;
    limits.forEach(({ limit, left, quota, reserved: incoming, copiedFrom }, index) => {
      const total = totals[index] ?? 0;
      if (quota === undefined) {
        if (total > limit && (refusal === undefined || left > refusal.retryAfterSecs)) {
          refusal = { code: "SlowDown", retryAfterSecs: left, message: "Please reduce your request rate." };
        }
        return;
      }
      // `total` holds this request's own reservation: used up before it, or passed with it.
      if (total - incoming >= limit || total > limit) {
        // A used-up quota outranks a rate limit: waiting out the rate window would not help.
        if (refusal?.code !== "TooManyRequests" || left > refusal.retryAfterSecs) {
          const whose = copiedFrom === true ? "the bucket copied from" : `this ${quota.scope.replace("_", " ")}`;
          refusal = { code: "TooManyRequests", retryAfterSecs: left, message: `The bandwidth quota of ${whose} is used up for the current ${quota.window}-second window.` };
        }
      }
    });
    if (reserved.length > 0) {
      // A refused upload sends nothing: its reservation is given back at once.
      if (refusal !== undefined) await store.add(reserved.map((update) => ({ ...update, amount: -update.amount })));
      else reservations.set(context, reserved);
    }
    return refusal;
  }

  async function record(context: RequestContext, outcome: RequestOutcome): Promise<void> {
    const reserved = reservations.get(context);
    reservations.delete(context);
    const updates: CounterUpdate[] = [];
    // Refused requests are not charged: a stranger's 403s must not drain a bucket's quota.
    if (context.admitted === true) {
      for (const rule of quotas) {
        const bytes = (rule.direction === "ingress" ? 0 : outcome.bytesSent) + (rule.direction === "egress" ? 0 : (outcome.bytesReceived ?? 0));
        if (bytes <= 0) continue;
        const value = counterOf(rule, context);
        if (value === undefined) continue;
        updates.push({ key: windowOf(rule.id, value, rule.window).key, amount: bytes, ttlSecs: rule.window });
      }
      const copied = outcome.bytesCopied ?? 0;
      const copy = context.copySource;
      if (copied > 0 && copy !== undefined) {
        for (const { rule, value } of copyCharges(context, copy.bucket)) updates.push({ key: windowOf(rule.id, value, rule.window).key, amount: copied, ttlSecs: rule.window });
      }
    }
    // What was reserved is given back where it was taken (the window it was checked in), what arrived charged now.
    for (const update of reserved ?? []) updates.push({ ...update, amount: -update.amount });
    const merged = new Map<string, CounterUpdate>();
    for (const update of updates) {
      const known = merged.get(update.key);
      merged.set(update.key, known === undefined ? { ...update } : { ...known, amount: known.amount + update.amount });
    }
    const changes = [...merged.values()].filter((update) => update.amount !== 0);
    if (changes.length > 0) await store.add(changes);
  }

  /** Whether an egress or total quota counts this request's bytes sent. */
  function chargesBytesSent(context: RequestContext): boolean {
    return quotas.some((rule) => rule.direction !== "ingress" && counterOf(rule, context) !== undefined);
  }

  return { check, record, chargesBytesSent };
}
