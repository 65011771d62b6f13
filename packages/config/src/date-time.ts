/**
 * The `date-time` format of the configuration (`created_at`, `expires_at`): an RFC 3339 date-time that `Date.parse`
 * also reads, since that is how the gateway uses it. Kept here rather than taken from a format library so that a
 * Worker bundle carries a few lines instead of every JSON Schema format.
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether `text` is an RFC 3339 date-time with a time zone (`2024-01-15T00:00:00Z`, `2024-01-15T01:00:00.5+01:00`)
 * that `Date.parse` accepts.
 *
 * @param text the value of a `date-time` field
 */
export function isDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  if (match === null) return false;
  const field = (index: number): number => Number(match[index] ?? 0);
  const [year, month, day] = [field(1), field(2), field(3)];
  const leapYear = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = (DAYS_IN_MONTH[month - 1] ?? 0) + (month === 2 && leapYear ? 1 : 0);
  // A leap second (:60) fits RFC 3339 but not Date.parse, which is what the gateway compares with.
  const validTime = field(4) <= 23 && field(5) <= 59 && field(6) <= 59 && field(8) <= 23 && field(9) <= 59;
  return day >= 1 && day <= daysInMonth && validTime && !Number.isNaN(Date.parse(text));
}
