/** Whole-number query parameters (`max-keys`, `max-parts`, `part-number-marker`, ...), read alike by every listing. */
import { S3Error } from "./errors.js";

/** How a whole-number parameter is checked, and what a refusal says (each operation keeps S3's own wording). */
export interface WholeNumberRule {
  /** The parameter's name (the error's `ArgumentName`). */
  name: string;
  /** The error's message. */
  message: string;
  /**
   * Largest value accepted, written with no more digits than it has (leading zeros count: S3 checks the text's
   * length too). Default: any number of digits.
   */
  limit?: number;
}

/**
 * Reads a whole-number query parameter: ASCII digits only (no sign, point or spaces; leading zeros allowed). Absent
 * gives `fallback`; anything else not accepted (the empty string included) is refused with `InvalidArgument`.
 */
export function parseWholeNumber(value: string | undefined, fallback: number, rule: WholeNumberRule): number {
  if (value === undefined) return fallback;
  const limit = rule.limit;
  if (!/^\d+$/.test(value) || (limit !== undefined && (value.length > String(limit).length || Number(value) > limit))) {
    throw new S3Error("InvalidArgument", { message: rule.message, details: { ArgumentName: rule.name, ArgumentValue: value } });
  }
  return Number(value);
}
