/** How R2's binding errors become S3 errors. */
import { describe, expect, it } from "vitest";
import { mapR2Error } from "../src/r2-errors.js";

describe("mapR2Error", () => {
  it("maps an unknown upload (10024, and 10001 on a multipart upload's calls) to 404 NoSuchUpload", () => {
    expect(mapR2Error(new Error("uploadPart: The specified multipart upload does not exist. (10024)"), { uploadId: "u" })).toMatchObject({ code: "NoSuchUpload", status: 404 });
    expect(mapR2Error(new Error("uploadPart: We encountered an internal error. Please try again. (10001)"), { key: "k", uploadId: "u" })).toMatchObject({ code: "NoSuchUpload", status: 404 });
    expect(mapR2Error(Object.assign(new Error("complete: internal error"), { code: 10001 }), { uploadId: "u" })).toMatchObject({ code: "NoSuchUpload" });
  });

  it("leaves 10001 outside multipart calls as it is (a real internal error)", () => {
    const error = new Error("get: We encountered an internal error. Please try again. (10001)");
    expect(mapR2Error(error, { key: "k" })).toBe(error);
  });
});
