/** Keys: special characters round-trip byte for byte; degenerate keys are refused on every path. */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { errorCode, sdkClient, signedRawRequest, type RawResponse } from "./clients.js";
import { BACKENDS, enforcesAll, type World } from "./setup.js";

const SPECIAL_KEYS = ["keys/with space.txt", "keys/plus+sign.txt", "keys/star*.txt", "keys/a%25b", "keys/a%b", "keys/ünïcödé/日本.txt", "keys/tilde~(paren)!'", "keys/semi;colon=eq@at"];

/** Registers key-handling tests. */
export function keyBehaviour(world: () => World): void {
  describe.each(BACKENDS)("keys on the %s backend", (kind, bucket) => {
    const client = () => sdkClient(world(), world().admin);

    /** A degenerate path is refused: 400 InvalidArgument, or 403 where the platform rewrites it first. */
    function expectRefused(response: RawResponse) {
      if (world().exceptions.dotSegmentsNormalized) {
        expect([400, 403]).toContain(response.status);
        return;
      }
      expect(response.status).toBe(400);
      if (response.text !== "") expect(errorCode(response.text)).toBe("InvalidArgument");
    }

    it("round-trips keys with special characters, keeping a%25b and a%b distinct", async () => {
      for (const key of SPECIAL_KEYS) await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
      for (const key of SPECIAL_KEYS) {
        const got = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        expect(await got.Body!.transformToString()).toBe(`body of ${key}`);
      }
      if (enforcesAll(kind)) {
        // s3rver lists in file-name order and escapes some characters twice; the native backend (fs or R2) proves listing order.
        const listing = await client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "keys/" }));
        const sorted = [...SPECIAL_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(listing.Contents!.map((object) => object.Key)).toEqual(sorted);
      }
    });

    it.each(["/x/../y", "/x/./y", "/../y", "/x/%2e%2e/y", "/x/%2E/y", "/x/.."])("refuses the degenerate key path %s", async (suffix) => {
      for (const method of ["GET", "PUT", "DELETE", "HEAD"]) {
        // A client signs the canonical (decoded and re-encoded) path; %2e is how it may travel.
        const signedPath = `/${bucket}${suffix.replace(/%2e/gi, ".")}`;
        const response = await signedRawRequest(world().endpoint, world().admin, { method, path: signedPath, wirePath: `/${bucket}${suffix}`, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, ...(method === "PUT" && { body: "x" }) });
        expectRefused(response);
      }
    });

    it("refuses degenerate keys in copy sources, batch deletes and multipart uploads", async () => {
      const copy = await signedRawRequest(world().endpoint, world().admin, { method: "PUT", path: `/${bucket}/ok.txt`, headers: { "x-amz-copy-source": `/${bucket}/a/../b`, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expect([copy.status, errorCode(copy.text)]).toEqual([400, "InvalidArgument"]);
      const body = "<Delete><Object><Key>a/../b</Key></Object><Object><Key>fine.txt</Key></Object></Delete>";
      const batch = await signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}`, query: { delete: "" }, headers: { "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") }, body });
      expect(batch.status).toBe(200);
      expect(batch.text).toMatch(/<Error><Key>a\/..\/b<\/Key><Code>InvalidArgument<\/Code>/);
      const multipart = await signedRawRequest(world().endpoint, world().admin, { method: "POST", path: `/${bucket}/x/./y`, query: { uploads: "" }, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
      expectRefused(multipart);
    });
  });
}
