/** Conditional requests as S3 evaluates them, for the backends that evaluate them in process (fs, R2, GCS writes). */
import { describe, expect, it } from "vitest";
import { isS3Error } from "../src/index.js";
import { checkCopySourceConditions, checkReadConditions, checkWriteConditions, evaluateConditions, READ_CONDITIONS } from "../src/backend.js";
import { etagListMatches } from "../src/conditions.js";

const ETAG = '"abc"';
const MODIFIED = new Date("2026-01-01T12:00:00.500Z");

function codeOf(run: () => void): string | undefined {
  try {
    run();
  } catch (error) {
    if (isS3Error(error)) return `${error.status} ${error.code}`;
    throw error;
  }
  return undefined;
}

describe("conditions", () => {
  it("match ETag lists, weak and bare ETags and * like S3", () => {
    expect([etagListMatches('"x", "abc"', ETAG), etagListMatches("*", ETAG), etagListMatches('W/"abc"', ETAG), etagListMatches("abc", ETAG), etagListMatches('"x"', ETAG)]).toEqual([true, true, true, true, false]);
  });

  it("follow S3's precedence: a true If-Match ignores If-Unmodified-Since, a present If-None-Match ignores If-Modified-Since", () => {
    const headers = (init: Record<string, string>) => new Headers(init);
    const past = "Wed, 31 Dec 2025 00:00:00 GMT";
    const future = "Fri, 02 Jan 2026 00:00:00 GMT";
    expect(evaluateConditions(headers({ "if-match": ETAG, "if-unmodified-since": past }), READ_CONDITIONS, ETAG, MODIFIED)).toBeUndefined();
    expect(evaluateConditions(headers({ "if-unmodified-since": past }), READ_CONDITIONS, ETAG, MODIFIED)).toBe("failed");
    expect(evaluateConditions(headers({ "if-none-match": '"other"', "if-modified-since": future }), READ_CONDITIONS, ETAG, MODIFIED)).toBeUndefined();
    expect(evaluateConditions(headers({ "if-modified-since": future }), READ_CONDITIONS, ETAG, MODIFIED)).toBe("not-modified");
    // Second precision: modified within the second named counts as not modified; an invalid date is ignored.
    expect(evaluateConditions(headers({ "if-modified-since": "Thu, 01 Jan 2026 12:00:00 GMT" }), READ_CONDITIONS, ETAG, MODIFIED)).toBe("not-modified");
    expect(evaluateConditions(headers({ "if-modified-since": "yesterday" }), READ_CONDITIONS, ETAG, MODIFIED)).toBeUndefined();
  });

  it("answer reads with 412 or 304 (with the cache's headers), copies with 412, writes as S3 does", () => {
    expect(codeOf(() => checkReadConditions(new Headers({ "if-match": '"x"' }), ETAG, MODIFIED))).toBe("412 PreconditionFailed");
    let notModified: unknown;
    try {
      checkReadConditions(new Headers({ "if-none-match": ETAG }), ETAG, MODIFIED);
    } catch (error) {
      notModified = error;
    }
    expect(isS3Error(notModified) && [notModified.status, notModified.headers.etag, notModified.headers["last-modified"]]).toEqual([304, ETAG, MODIFIED.toUTCString()]);
    expect(codeOf(() => checkCopySourceConditions(new Headers({ "x-amz-copy-source-if-none-match": ETAG }), ETAG, MODIFIED))).toBe("412 PreconditionFailed");
    expect(codeOf(() => checkWriteConditions(new Headers({ "if-none-match": "*" }), "k", ETAG))).toBe("412 PreconditionFailed");
    expect(codeOf(() => checkWriteConditions(new Headers({ "if-none-match": "*" }), "k", undefined))).toBeUndefined();
    expect(codeOf(() => checkWriteConditions(new Headers({ "if-none-match": ETAG }), "k", undefined))).toBe("501 NotImplemented");
    expect(codeOf(() => checkWriteConditions(new Headers({ "if-match": ETAG }), "k", undefined))).toBe("404 NoSuchKey");
    expect(codeOf(() => checkWriteConditions(new Headers({ "if-match": '"x"' }), "k", ETAG))).toBe("412 PreconditionFailed");
  });
});
