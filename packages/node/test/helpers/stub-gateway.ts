/** A gateway over one anonymous bucket `b` whose objects are forwarded to a URL of the test's choosing. */
import type { Readable } from "node:stream";
import { createGateway, type Gateway } from "@multistore/core";
import { HeaderMap } from "@multistore/core/runtime";

/** `urlOf` is asked on each request (a test may switch the backend between requests). */
export function stubForwardGateway(urlOf: () => string): Gateway<Readable> {
  const bucket = { name: "b", backend_type: "stub", anonymous_access: true, backend_options: {} };
  return createGateway<Readable>({
    buckets: { getBucket: (name) => (name === "b" ? bucket : undefined), listBuckets: () => [bucket] },
    credentials: { getCredential: () => undefined },
    backends: {
      stub: () => ({ kind: "stub", bucketName: "b", copyDomain: "stub", prepareObject: () => ({ type: "forward", method: "GET", url: urlOf(), headers: new HeaderMap() }) }) as never,
    },
  });
}
