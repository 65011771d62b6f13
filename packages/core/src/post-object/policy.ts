/**
 * A browser form upload's policy document (base64 JSON: an expiration and conditions), checked against the form:
 * every condition must hold, and every field the form sends must be named by one (but the signature's, `file`,
 * `policy` and `x-ignore-*` fields), as S3 checks it.
 */
import { fromBase64 } from "../encoding.js";
import { S3Error } from "../errors.js";
import type { FormField } from "./form-head.js";

/** What a policy is checked against. */
export interface PolicySubject {
  /** Form fields by lowercase name. */
  fields: ReadonlyMap<string, FormField>;
  /** The bucket the form was posted to, as the client named it. */
  bucket: string;
  /** The file's length in bytes. */
  fileLength: number;
  /** Now, in milliseconds since the epoch. */
  now: number;
}

/** Fields no condition needs to name. */
const UNCONDITIONED = new Set(["x-amz-signature", "signature", "awsaccesskeyid", "file", "policy"]);

function invalidPolicy(message: string, cause?: unknown): S3Error {
  return new S3Error("InvalidPolicyDocument", { message: `Invalid Policy: ${message}`, ...(cause !== undefined && { cause }) });
}

function refused(message: string): S3Error {
  return new S3Error("AccessDenied", { message: `Invalid according to Policy: ${message}` });
}

/** A condition as S3 quotes it in its refusals. */
function quoted(condition: unknown): string {
  return JSON.stringify(condition);
}

/** The name a condition's `$field` (or an object condition's key) names, lowercase; checked. */
function fieldName(raw: unknown, condition: unknown, dollar: boolean): string {
  if (typeof raw !== "string" || (dollar && !raw.startsWith("$")) || raw.length < (dollar ? 2 : 1)) {
    throw invalidPolicy(`Invalid condition ${quoted(condition)}: it must name a form field${dollar ? " as $name" : ""}.`);
  }
  return (dollar ? raw.slice(1) : raw).toLowerCase();
}

/** A content-length-range bound: a whole number (JSON number or digits). */
function lengthBound(raw: unknown, condition: unknown): number {
  const value = typeof raw === "string" && /^\d{1,16}$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidPolicy(`Invalid condition ${quoted(condition)}: content-length-range takes two whole numbers.`);
  }
  return value;
}

/**
 * An ISO 8601 UTC time (`2026-12-01T12:00:00.000Z`) in milliseconds, or NaN: a time without its `Z` would be read in
 * the server's own time zone, and `Date.parse` would move a 30 February to March.
 */
function utcTime(text: string): number {
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/.exec(text);
  if (parts === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second));
  // (Date.UTC reads years 0 to 99 as 1900 to 1999: the year is set on its own.)
  date.setUTCFullYear(year, month - 1, day);
  const time = date.getTime();
  const exact = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  return exact ? time + Math.floor(Number(`0${parts[7] ?? ""}`) * 1000) : Number.NaN;
}

/** Decodes and checks a policy; throws InvalidPolicyDocument, AccessDenied, EntityTooSmall or EntityTooLarge. */
export function checkPostPolicy(policy: string, subject: PolicySubject): void {
  const bytes = fromBase64(policy.trim());
  if (bytes === undefined) throw invalidPolicy("the policy field is not base64.");
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalidPolicy("Invalid JSON.", error);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) throw invalidPolicy("the document is not a JSON object.");
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (expiration === undefined) throw invalidPolicy("Policy missing expiration.");
  const expires = typeof expiration === "string" ? utcTime(expiration) : Number.NaN;
  if (Number.isNaN(expires)) throw invalidPolicy(`Invalid 'expiration' value: ${quoted(expiration)}.`);
  if (conditions === undefined) throw invalidPolicy("Policy missing conditions.");
  if (!Array.isArray(conditions)) throw invalidPolicy("the conditions are not a list.");
  if (expires <= subject.now) throw refused("Policy expired.");
  const fieldValue = (name: string) => (name === "bucket" ? subject.bucket : (subject.fields.get(name)?.value ?? ""));
  const named = new Set<string>();
  for (const condition of conditions) checkCondition(condition, subject, fieldValue, named);
  for (const [name, field] of subject.fields) {
    if (UNCONDITIONED.has(name) || name.startsWith("x-ignore-") || named.has(name)) continue;
    throw refused(`Extra input fields: ${field.name}`);
  }
}

function checkCondition(condition: unknown, subject: PolicySubject, fieldValue: (name: string) => string, named: Set<string>): void {
  if (typeof condition === "object" && condition !== null && !Array.isArray(condition)) {
    const entries = Object.entries(condition);
    if (entries.length !== 1 || typeof entries[0]![1] !== "string") throw invalidPolicy(`Invalid condition ${quoted(condition)}: an exact match names one field and its text.`);
    const [raw, expected] = entries[0] as [string, string];
    const name = fieldName(raw, condition, false);
    named.add(name);
    if (fieldValue(name) !== expected) throw refused(`Policy Condition failed: ["eq", "$${raw}", ${quoted(expected)}]`);
    return;
  }
  if (!Array.isArray(condition) || condition.length !== 3 || typeof condition[0] !== "string") throw invalidPolicy(`Invalid condition ${quoted(condition)}.`);
  const operation = condition[0].toLowerCase();
  if (operation === "content-length-range") {
    const [minimum, maximum] = [lengthBound(condition[1], condition), lengthBound(condition[2], condition)];
    if (subject.fileLength < minimum) {
      throw new S3Error("EntityTooSmall", { message: "Your proposed upload is smaller than the minimum allowed size", details: { ProposedSize: String(subject.fileLength), MinSizeAllowed: String(minimum) } });
    }
    if (subject.fileLength > maximum) {
      throw new S3Error("EntityTooLarge", { message: "Your proposed upload exceeds the maximum allowed size", details: { ProposedSize: String(subject.fileLength), MaxSizeAllowed: String(maximum) } });
    }
    return;
  }
  if (operation !== "eq" && operation !== "starts-with") throw invalidPolicy(`Invalid condition ${quoted(condition)}: unknown operation ${quoted(condition[0])}.`);
  const name = fieldName(condition[1], condition, true);
  const expected = condition[2];
  if (typeof expected !== "string") throw invalidPolicy(`Invalid condition ${quoted(condition)}: the value must be text.`);
  named.add(name);
  const actual = fieldValue(name);
  // A Content-Type may list several types (comma-separated): each must start with the prefix.
  const holds = operation === "eq" ? actual === expected : name === "content-type" ? actual.split(",").every((part) => part.trim().startsWith(expected)) : actual.startsWith(expected);
  if (!holds) throw refused(`Policy Condition failed: ${quoted(condition)}`);
}
