/**
 * GetObject and HeadObject of one part (`?partNumber=N`), what download managers use to fetch a multipart object in
 * its own parts (the AWS SDK for Java's transfer manager, `aws s3api get-object --part-number`). A backend that
 * `readsParts` (S3) is asked for the part itself. Other stores keep no part boundaries, so the object is read as
 * its one part, as S3 reads an object uploaded in one piece: part 1 is the whole object, answered `206` with its
 * Content-Range and no `x-amz-mp-parts-count`, which tells a download manager there is nothing more to fetch; any
 * other part is `416 InvalidPartNumber`.
 */
import { S3Error } from "../errors.js";
import type { MaybePromise } from "../maybe-promise.js";
import type { Query } from "../s3-request.js";
import type { Backend, ObjectDispatch } from "../types.js";
import { anonymousOverrides, partNumberOf, prepareObject, RESPONSE_OVERRIDES } from "./object.js";

/** A part read's dispatch: the read, and the part it asks for (see `wholeObjectAsPart`). */
export type PartReadDispatch<B> = ObjectDispatch<B> & { partRead: number };

/** Prepares a read of the part `query` names. */
export function preparePartRead<B>(
  backend: Backend<B>,
  operation: "GetObject" | "HeadObject",
  key: string,
  clientHeaders: Headers,
  query: Query,
  auth: Parameters<typeof prepareObject>[5],
): MaybePromise<PartReadDispatch<B>> {
  const partNumber = partNumberOf(query);
  if (clientHeaders.has("range")) throw new S3Error("InvalidRequest", { message: "Cannot specify both Range header and partNumber query parameter." });
  // Past part 1 of a store that holds objects whole, only whether the object exists is left to ask (NoSuchKey, and
  // its conditions): a head, never the object's bytes.
  const read = backend.readsParts || partNumber === 1 ? operation : "HeadObject";
  // (Checked for the head too, and named as the client's GET.)
  if (read !== operation && auth.identity?.type === "anonymous" && RESPONSE_OVERRIDES.some((name) => query.has(name))) throw anonymousOverrides(operation);
  const prepared = prepareObject(backend, read, key, clientHeaders, query, auth, undefined, undefined, backend.readsParts ? partNumber : undefined);
  if (prepared instanceof Promise) return prepared.then(({ dispatch }) => ({ ...dispatch, partRead: partNumber }));
  return { ...prepared.dispatch, partRead: partNumber };
}

/**
 * The client's answer to a part read the store answered `200`: it holds the object whole (or ignored the part, as
 * some S3-compatible stores do), its only part. Part 1 is `206` with the whole object's Content-Range (`200` for an
 * empty object, which has no byte range to name); any other part is `InvalidPartNumber`. Headers are changed in place.
 */
export function wholeObjectAsPart(partNumber: number, headers: Headers): number | S3Error {
  if (partNumber !== 1) return new S3Error("InvalidPartNumber");
  // One part: a count the store sent would send a download manager after parts that are refused.
  headers.delete("x-amz-mp-parts-count");
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (!(Number.isSafeInteger(length) && length > 0)) return 200;
  headers.set("content-range", `bytes 0-${length - 1}/${length}`);
  return 206;
}
