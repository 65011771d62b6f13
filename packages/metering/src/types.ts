/** The contracts of metering: where counters live, what checks a request, what records its usage. */
import type { RequestContext, RequestOutcome } from "@multistore/core";

/** One change to one counter. */
export interface CounterUpdate {
  /** The counter's key (its window is part of it). */
  key: string;
  /** What to add (a negative amount gives back a reservation); 0 reads the counter without creating it. */
  amount: number;
  /** Seconds the counter lives after it is created (its window's length). */
  ttlSecs: number;
}

/**
 * Counters shared by every instance that should enforce one limit together. Each counter is created at its first
 * addition and expires `ttlSecs` after that; additions are atomic, so instances never lose each other's counts.
 */
export interface CounterStore {
  /**
   * Applies the updates (in one round trip where the store allows) and resolves to each counter's new value. A
   * negative amount (a reservation given back) never takes a counter below 0, nor creates one: a store that lost its
   * counters (a restarted Redis) must not hand out extra quota. A store that may still apply updates it failed to
   * confirm (a command that timed out) rejects with an error whose `mayHaveApplied` is true.
   */
  add(updates: readonly CounterUpdate[]): Promise<number[]>;
  /** Releases connections (optional). */
  close?(): Promise<void>;
}

/** What is known of a request's size before it runs. */
export interface UsageEstimate {
  /** Object data the client declared it will send (`content-length` of an upload), 0 for other requests. */
  bytesIn: number;
}

/** Why a request is refused, and when to come back. */
export interface Refusal {
  /** `SlowDown` (503) for a request rate, `TooManyRequests` (429) for a used-up bandwidth quota. */
  code: "SlowDown" | "TooManyRequests";
  /** Seconds until the counter's window ends. */
  retryAfterSecs: number;
  /** A message for the client (names no other caller). */
  message: string;
}

/** Decides, before dispatch, whether a request may run. */
export interface QuotaChecker {
  /** Resolves to a refusal, or undefined to let the request through. */
  check(context: RequestContext, estimate: UsageEstimate): Promise<Refusal | undefined>;
}

/** Records what a finished request used. */
export interface UsageRecorder {
  /** Adds the request's actual bytes (and status) to the counters it belongs to. */
  record(context: RequestContext, outcome: RequestOutcome): Promise<void>;
  /**
   * Whether this request's bytes sent will be charged (an egress or total quota applies to it). When it says so, a
   * runtime that cannot count a download the client cut short (the Worker) reports its whole body rather than
   * nothing (see `RequestContext.metersBytes`). Absent: never.
   */
  chargesBytesSent?(context: RequestContext): boolean;
}
