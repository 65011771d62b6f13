/**
 * What the sections of the backend contract share (objects, listing, multipart, copy and delete): the backend under
 * test, a fresh key prefix per test, and requests run through the backend's dispatch as a client would see them.
 * `runBackendContract` makes one context per suite and hands it to each section.
 */
import { createHash, randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import type { Backend, ObjectRequest } from "@multistore/core/backend";
import type { BackendContractOptions, EmulatorGaps } from "./backend-contract-options.js";
import { ERROR_CODE_HEADER, errorResponse, executeDispatch, isS3ErrorLike, type ExecutedResponse } from "./backend-contract-execute.js";

/** One mebibyte (the smallest part size S3 accepts is 5 of them). */
export const MiB = 1024 * 1024;
/** A body as UTF-8 text. */
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
/** The hex MD5 of some bytes (what S3 puts in a single-part ETag). */
export const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

/**
 * Registers a test only for backends that declare the capability. A backend without it has no such test at all
 * (rather than a skipped one): its own suite must prove what it does instead.
 */
export function itIf(enabled: boolean): typeof it {
  return enabled ? it : ((() => undefined) as unknown as typeof it);
}

/** A dispatched object request; `headers` may be any HeadersInit. */
export type ContractRequest = Omit<ObjectRequest, "headers"> & { headers?: HeadersInit };

/** The shared state and requests of one contract suite. */
export interface BackendContractContext {
  /** The backend under test (set up in the suite's beforeAll, so call it inside a test). */
  backend(): Backend<any>;
  /** The capabilities the backend declared (`{}` when none). */
  capabilities: NonNullable<BackendContractOptions["capabilities"]>;
  /** The emulator's known defects (`{}` for a real backend). */
  gaps: EmulatorGaps;
  /** A key prefix no other test uses. */
  fresh(): string;
  /** Runs a request through the backend's dispatch; an S3 error comes back as its error response. */
  run(request: ContractRequest, body?: Uint8Array | string): Promise<ExecutedResponse>;
  /** PutObject with the body's content-length. */
  put(key: string, body: Uint8Array | string, headers?: HeadersInit): Promise<ExecutedResponse>;
  /** GetObject, with optional headers and other request fields (response overrides). */
  get(key: string, headers?: HeadersInit, extra?: Partial<ObjectRequest>): Promise<ExecutedResponse>;
  /** HeadObject. */
  head(key: string, headers?: HeadersInit, extra?: Partial<ObjectRequest>): Promise<ExecutedResponse>;
  /** DeleteObject. */
  del(key: string, headers?: HeadersInit): Promise<ExecutedResponse>;
  /** The S3 error code of a response (null for a success). */
  code(response: ExecutedResponse): string | null;
  /** PutObject that must succeed; answers the quoted ETag. */
  putOk(key: string, body: Uint8Array | string, headers?: HeadersInit): Promise<string>;
  /** Every key and common prefix of a listing, page by page, checking each page's size and continuation token. */
  listAll(request: { prefix: string; delimiter?: string; maxKeys: number; startAfter?: string }): Promise<{ keys: string[]; prefixes: string[] }>;
}

/** Makes the context of one suite; `backend` answers the backend once the suite has set it up. */
export function backendContractContext(options: BackendContractOptions, backend: () => Backend<any>): BackendContractContext {
  const capabilities = options.capabilities ?? {};
  const gaps = options.emulatorGaps ?? {};
  let prefixCounter = 0;

  const fresh = (): string => `contract-${randomBytes(4).toString("hex")}-${prefixCounter++}/`;

  async function run(request: ContractRequest, body?: Uint8Array | string): Promise<ExecutedResponse> {
    try {
      const dispatch = await backend().prepareObject({ ...request, headers: new Headers(request.headers) });
      return await executeDispatch(dispatch, body, { nativeBody: options.nativeBody ?? "node" });
    } catch (error) {
      if (isS3ErrorLike(error)) return errorResponse(error);
      throw error;
    }
  }
  const put = (key: string, body: Uint8Array | string, headers?: HeadersInit) =>
    run({ operation: "PutObject", key, headers: { "content-length": String(typeof body === "string" ? Buffer.byteLength(body) : body.length), ...headers } }, body);
  const get = (key: string, headers?: HeadersInit, extra?: Partial<ObjectRequest>) => run({ operation: "GetObject", key, ...(headers && { headers }), ...extra });
  const head = (key: string, headers?: HeadersInit, extra?: Partial<ObjectRequest>) => run({ operation: "HeadObject", key, ...(headers && { headers }), ...extra });
  const del = (key: string, headers?: HeadersInit) => run({ operation: "DeleteObject", key, ...(headers && { headers }) });
  const code = (response: ExecutedResponse) => response.headers.get(ERROR_CODE_HEADER);

  async function putOk(key: string, body: Uint8Array | string, headers?: HeadersInit): Promise<string> {
    const response = await put(key, body, headers);
    expect(response.status, `PUT ${key}`).toBe(200);
    const etag = response.headers.get("etag");
    expect(etag).toMatch(/^"[^"]+"$/);
    return etag!;
  }

  async function listAll(request: { prefix: string; delimiter?: string; maxKeys: number; startAfter?: string }) {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await backend().listObjects({ ...request, ...(token !== undefined && { continuationToken: token }) });
      const counted = result.objects.length + (gaps.maxKeysIgnoresCommonPrefixes ? 0 : result.commonPrefixes.length);
      expect(counted).toBeLessThanOrEqual(request.maxKeys);
      keys.push(...result.objects.map((object) => object.key));
      prefixes.push(...result.commonPrefixes);
      if (!result.isTruncated) return { keys, prefixes };
      expect(result.nextContinuationToken).toBeTruthy();
      token = result.nextContinuationToken;
    }
    throw new Error("listing did not end");
  }

  return { backend, capabilities, gaps, fresh, run, put, get, head, del, code, putOk, listAll };
}
