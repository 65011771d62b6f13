/** The small HTTP exchanges of credential federation: one POST, a timeout, a capped body, errors that name the step. */
import { AnswerTooLargeError, responseText } from "@multistore/core/backend";

/** A failed federation step: which step, and what the other side answered (for the client message and the log). */
export class FederationError extends Error {
  /** The step, e.g. `STS AssumeRoleWithWebIdentity`. */
  readonly step: string;
  /** Short answer for the client, e.g. `AccessDenied`, `HTTP 500`, `timeout`. Never secret. */
  readonly answer: string;
  /** HTTP status of the answer; undefined when there was no answer. */
  readonly status: number | undefined;

  constructor(step: string, answer: string, detail: string, options: { status?: number; cause?: unknown } = {}) {
    super(`${step} ${options.status === undefined ? "did not answer" : "answered"} ${answer}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FederationError";
    this.step = step;
    this.answer = answer;
    this.status = options.status;
  }

  /** `<step> answered <answer>`, or `<step> did not answer (<why>)`: safe to show to clients. */
  get summary(): string {
    return this.status === undefined ? `${this.step} did not answer (${this.answer})` : `${this.step} answered ${this.answer}`;
  }
}

/** Options every exchange function takes. */
export interface HttpOptions {
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch;
  /** Timeout of the request in ms (default 10 s). */
  timeoutMs?: number;
}

/** A response with its body read as text (capped). */
export interface SmallAnswer {
  /** HTTP status. */
  status: number;
  /** Headers. */
  headers: Headers;
  /** Body text (first 256 KiB). */
  text: string;
}

const MAX_BODY = 256 * 1024;

/** POSTs and reads the answer; an unreachable endpoint or a timeout becomes a `FederationError` of `step`. */
export async function post(step: string, url: string, headers: Record<string, string>, body: string, options: HttpOptions = {}): Promise<SmallAnswer> {
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let response: Response;
  try {
    response = await send(url, { method: "POST", headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new FederationError(step, timedOut ? "timeout" : "connection failed", `POST ${url} failed`, { cause: error });
  }
  let text: string;
  try {
    text = await responseText(response, MAX_BODY);
  } catch (error) {
    // Named as what it is: an answer too long, or one that stopped or stalled past the signal's bound.
    if (error instanceof AnswerTooLargeError) throw new FederationError(step, "an answer too large", `POST ${url}`, { status: response.status, cause: error });
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new FederationError(step, timedOut ? "timeout" : "connection failed", `POST ${url}: its answer was cut off`, { cause: error });
  }
  return { status: response.status, headers: response.headers, text };
}

/** Form encoding (`application/x-www-form-urlencoded`). */
export function form(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) params.set(name, value);
  return params.toString();
}

/** Parses a JSON object answer; anything else is a `FederationError` of `step`. */
export function jsonObject(step: string, answer: SmallAnswer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(answer.text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new FederationError(step, `HTTP ${answer.status} with a malformed body`, `expected a JSON object, got ${JSON.stringify(answer.text.slice(0, 200))}`, {
    status: answer.status,
  });
}

/** A string field of a JSON answer, or a `FederationError` naming the field. */
export function requiredString(step: string, body: Record<string, unknown>, field: string, status: number): string {
  const value = body[field];
  if (typeof value !== "string" || value === "") throw new FederationError(step, "a malformed response", `the answer has no "${field}"`, { status });
  return value;
}

/** `expires_in` seconds (a number or a numeric string) as an absolute time. */
export function expiresIn(step: string, value: unknown, now: number, status: number): Date {
  const seconds = typeof value === "string" ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new FederationError(step, "a malformed response", `expires_in is ${JSON.stringify(value)}`, { status });
  }
  return new Date(now + seconds * 1000);
}
