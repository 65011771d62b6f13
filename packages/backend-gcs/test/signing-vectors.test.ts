/**
 * Google's V4 signed-URL conformance vectors (googleapis/conformance-tests, in ../shared/fixtures/gcs-v4-signing):
 * both builds must produce each expected URL byte for byte. @google-cloud/storage's own signer is the second
 * reference: for the same inputs it must compute the same signature.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Storage } from "@google-cloud/storage";
import { uriEncode } from "@multistore/core/backend";
import { useLatin1HeaderValues } from "@multistore/core/runtime";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createGcsSigner as nodeSigner, signUrlV4, type V4SignInput } from "../src/node.js";
import { createGcsSigner as workerSigner } from "../src/worker.js";

const FIXTURES = join(import.meta.dirname, "../../../../shared/fixtures/gcs-v4-signing");
const KEY = readFileSync(join(FIXTURES, "test_service_account.not-a-test.json"), "utf8");

interface SigningVector {
  description: string;
  bucket: string;
  object?: string;
  method: string;
  expiration: number;
  timestamp: string;
  headers?: Record<string, string>;
  queryParameters?: Record<string, string>;
  scheme?: string;
  urlStyle?: "PATH_STYLE" | "VIRTUAL_HOSTED_STYLE" | "BUCKET_BOUND_HOSTNAME";
  bucketBoundHostname?: string;
  hostname?: string;
  clientEndpoint?: string;
  emulatorHostname?: string;
  universeDomain?: string;
  expectedUrl: string;
  expectedCanonicalRequest: string;
  expectedStringToSign: string;
}

const VECTORS = (JSON.parse(readFileSync(join(FIXTURES, "v4_signatures.json"), "utf8")) as { signingV4Tests: SigningVector[] }).signingV4Tests;

/**
 * The fixture's canonical request for this one names the bucket in the path while its URL and string to sign (which
 * hashes the canonical request) use `/test-object`: the canonical request text is inconsistent, the rest is not.
 */
const INCONSISTENT_CANONICAL_REQUEST = new Set(["Universe domain with virtual hosted style"]);

/** The signer's input for a vector, following the precedence the vectors encode (hostname > endpoint > emulator). */
function inputOf(vector: SigningVector): V4SignInput {
  const strip = (url: string) => url.replace(/^[a-z]+:\/\//, "");
  const endpointUrl = vector.hostname === undefined ? (vector.clientEndpoint ?? vector.emulatorHostname ?? "") : "";
  const scheme = vector.scheme ?? /^([a-z]+):\/\//.exec(endpointUrl)?.[1] ?? "https";
  let authority = vector.hostname ?? (vector.clientEndpoint && strip(vector.clientEndpoint)) ?? (vector.emulatorHostname && strip(vector.emulatorHostname)) ?? `storage.${vector.universeDomain ?? "googleapis.com"}`;
  const object = vector.object === undefined ? "" : `/${uriEncode(vector.object, true)}`;
  let path = `/${vector.bucket}${object}`;
  if (vector.urlStyle === "VIRTUAL_HOSTED_STYLE") [authority, path] = [`${vector.bucket}.${authority}`, object || "/"];
  if (vector.urlStyle === "BUCKET_BOUND_HOSTNAME") [authority, path] = [vector.bucketBoundHostname!, object || "/"];
  return {
    method: vector.method,
    origin: `${scheme}://${authority}`,
    path,
    ...(vector.queryParameters && { query: vector.queryParameters }),
    ...(vector.headers && { headers: vector.headers }),
    timestamp: new Date(vector.timestamp),
    expiresInSeconds: vector.expiration,
  };
}

describe.each([
  ["node", nodeSigner],
  ["worker", workerSigner],
] as const)("V4 signing vectors (%s build)", (_build, createSigner) => {
  const signer = createSigner(KEY);

  it.each(VECTORS.map((vector) => [vector.description, vector] as const))("%s", async (_name, vector) => {
    const signed = await signUrlV4(inputOf(vector), signer);
    expect(signed.url).toBe(vector.expectedUrl);
    expect(signed.stringToSign).toBe(vector.expectedStringToSign);
    if (!INCONSISTENT_CANONICAL_REQUEST.has(vector.description)) expect(signed.canonicalRequest).toBe(vector.expectedCanonicalRequest);
  });

  it("signs every vector (29) and changes the signature with any input", async () => {
    expect(VECTORS).toHaveLength(29);
    const base = inputOf(VECTORS[0]!);
    const original = (await signUrlV4(base, signer)).url;
    for (const changed of [{ ...base, path: "/test-bucket/other" }, { ...base, method: "PUT" }, { ...base, query: { a: "b" } }, { ...base, headers: { "x-goog-meta-a": "1" } }]) {
      expect(new URL((await signUrlV4(changed, signer)).url).searchParams.get("X-Goog-Signature")).not.toBe(new URL(original).searchParams.get("X-Goog-Signature"));
    }
  });
});

describe("header values past ASCII", () => {
  it("are signed as the bytes that go out: Node's one-character-per-byte value as workerd's text", async () => {
    const signer = nodeSigner(KEY);
    const base = inputOf(VECTORS[0]!);
    const signed = (disposition: string) => signUrlV4({ ...base, headers: { "content-disposition": disposition } }, signer).then((result) => result.url);
    const asBytes = await signed(Buffer.from('attachment; filename="voilà 東京.txt"', "utf8").toString("latin1"));
    useLatin1HeaderValues(false);
    try {
      expect(await signed('attachment; filename="voilà 東京.txt"')).toBe(asBytes);
    } finally {
      useLatin1HeaderValues(true);
    }
  });
});

describe("@google-cloud/storage's signer as a reference", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const ACTIONS = { GET: "read", PUT: "write", DELETE: "delete", POST: "resumable" } as const;

  it.each(VECTORS.filter((vector) => vector.object !== undefined && !vector.universeDomain && !vector.emulatorHostname).map((vector) => [vector.description, vector] as const))(
    "computes our signature for %s",
    async (_name, vector) => {
      // The SDK refuses expirations in the past, so its clock is set to the vector's.
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date(vector.timestamp));
      const input = inputOf(vector);
      // google-auth-library calls `credentials` deprecated, yet it is what signs locally with the key.
      const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
      const file = new Storage({ projectId: "dummy-project-id", credentials: JSON.parse(KEY) }).bucket(vector.bucket).file(vector.object!);
      warn.mockRestore();
      const [sdkUrl] = await file.getSignedUrl({
        version: "v4",
        action: ACTIONS[vector.method as keyof typeof ACTIONS],
        accessibleAt: new Date(vector.timestamp),
        expires: Date.parse(vector.timestamp) + vector.expiration * 1000,
        ...(vector.headers && { extensionHeaders: vector.headers }),
        ...(vector.queryParameters && { queryParams: vector.queryParameters }),
        ...(vector.urlStyle === "VIRTUAL_HOSTED_STYLE" && { virtualHostedStyle: true }),
        ...(vector.urlStyle === "BUCKET_BOUND_HOSTNAME" && { cname: input.origin }),
        ...(!vector.urlStyle && { host: input.origin }),
      });
      const ours = new URL((await signUrlV4(input, nodeSigner(KEY))).url);
      const theirs = new URL(sdkUrl);
      expect(theirs.searchParams.get("X-Goog-Signature")).toBe(ours.searchParams.get("X-Goog-Signature"));
      // Same parameters; the SDK only orders them differently (its own parameters first, `X-Goog-Signature` last).
      expect([...theirs.searchParams].sort()).toEqual([...ours.searchParams].sort());
    },
  );
});
