/**
 * What the client matrix's flows share: the world of the running suite, each client's target (endpoint, addressing
 * style, scratch directory), and checks made with the SDK or curl rather than with the client under test.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import type { AddressingStyle, ClientTarget } from "./adapters.js";
import { curlResolveArguments } from "./loopback.js";
import { LARGE_ON, MATRIX_DOMAIN, MATRIX_KEY, REGION, type ClientMatrixRuntime, type MatrixBackend, type Scheme } from "./matrix-config.js";
import type { MatrixWorld } from "./matrix-world.js";
import { requireTool, runTool, whichTool } from "./tools.js";

/** The hex SHA-256 of some bytes. */
export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Files of a directory tree, relative path (with `/`) → sha256. */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path).split("\\").join("/")] = sha256(readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

/** Same bytes, with a short message instead of a 20 MiB diff. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string) {
  expect({ what, length: actual.length, sha256: sha256(actual) }).toEqual({ what, length: expected.length, sha256: sha256(expected) });
}

/** The runtime, the running world, and the helpers the flows of one suite share. */
export interface MatrixContext {
  /** The runtime under test. */
  runtime: ClientMatrixRuntime;
  /** The world, once started (throws when the set-up failed). */
  current(): MatrixWorld;
  /** The backend of a client's 20 MiB flow on this runtime, if it has one. */
  largeOn(id: string): MatrixBackend | undefined;
  /** A backend's name in test names. */
  backendLabel(backend: MatrixBackend): string;
  /** Where a client reaches the gateway of a scheme in an addressing style (with a scratch directory of its own). */
  targetFor(scheme: Scheme, style: AddressingStyle, clientId: string): ClientTarget;
  /** An object's bytes, read with the SDK. */
  getBytes(scheme: Scheme, bucket: string, key: string): Promise<Uint8Array>;
  /** An object's ETag, read with the SDK. */
  etagOf(scheme: Scheme, bucket: string, key: string): Promise<string | undefined>;
  /** Every key under a prefix, listed with the SDK. */
  listAll(scheme: Scheme, bucket: string, prefix: string): Promise<string[]>;
  /** GETs a (presigned) URL with curl into `out`; fails unless the answer is 200. */
  fetchWithCurl(url: string, scheme: Scheme, out: string): Promise<Buffer>;
  /** PUTs a file to a presigned URL with curl; fails unless the answer is 200. */
  uploadWithCurl(url: string, scheme: Scheme, file: string, out: string): Promise<void>;
}

/** Makes the context of one suite; `current` answers its world once started. */
export function matrixContext(runtime: ClientMatrixRuntime, current: () => MatrixWorld): MatrixContext {
  const largeOn = (id: string): MatrixBackend | undefined => {
    const backend = LARGE_ON[id];
    return backend && runtime.flipLargeBackends ? (backend === "native" ? "s3" : "native") : backend;
  };
  const backendLabel = (backend: MatrixBackend) => (backend === "native" ? runtime.nativeLabel : backend === "az" ? "Azure-backed" : "s3rver-backed");

  const targetFor = (scheme: Scheme, style: AddressingStyle, clientId: string): ClientTarget => {
    const w = current();
    const port = Number(new URL(w.gateways[scheme].endpoint).port);
    const host = style === "path" ? "127.0.0.1" : MATRIX_DOMAIN;
    const work = join(w.dir, "work", clientId, `${scheme}-${style}`);
    mkdirSync(work, { recursive: true });
    return {
      scheme,
      style,
      host,
      port,
      endpoint: `${scheme}://${host}:${port}`,
      ...(scheme === "https" && { caPath: w.ca.caPath }),
      credentials: MATRIX_KEY,
      region: REGION,
      work,
      ...(runtime.sdkDefaults && { sdkDefaults: runtime.sdkDefaults }),
      ...(style === "virtual" && { loopbackDomain: MATRIX_DOMAIN, loopbackProxy: w.proxy.url }),
    };
  };

  const getBytes = async (scheme: Scheme, bucket: string, key: string) => {
    const response = await current().sdk[scheme].send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return response.Body!.transformToByteArray();
  };
  const etagOf = async (scheme: Scheme, bucket: string, key: string) =>
    (await current().sdk[scheme].send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
  const listAll = async (scheme: Scheme, bucket: string, prefix: string) => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await current().sdk[scheme].send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  };
  const fetchWithCurl = async (url: string, scheme: Scheme, out: string) => {
    requireTool("curl", () => whichTool("curl") !== undefined, "apt-get install -y curl");
    const result = await runTool("curl", ["-sS", "-o", out, "-w", "%{http_code}", ...curlResolveArguments(url, MATRIX_DOMAIN), ...(scheme === "https" ? ["--cacert", current().ca.caPath] : []), url]);
    if (result.code !== 0 || result.stdout !== "200") {
      let body = "";
      try {
        body = readFileSync(out, "utf8").slice(0, 2000);
      } catch {
        // no body
      }
      throw new Error(`curl ${url} -> ${result.stdout} (exit ${result.code}) ${result.stderr}\n${body}`);
    }
    return readFileSync(out);
  };
  /** PUTs a file to a presigned URL with curl; fails unless the answer is 200. */
  const uploadWithCurl = async (url: string, scheme: Scheme, file: string, out: string) => {
    requireTool("curl", () => whichTool("curl") !== undefined, "apt-get install -y curl");
    const result = await runTool("curl", ["-sS", "-o", out, "-w", "%{http_code}", "-T", file, ...curlResolveArguments(url, MATRIX_DOMAIN), ...(scheme === "https" ? ["--cacert", current().ca.caPath] : []), url]);
    if (result.code !== 0 || result.stdout !== "200") {
      throw new Error(`curl -T ${url} -> ${result.stdout} (exit ${result.code}) ${result.stderr}\n${readFileSync(out, "utf8").slice(0, 2000)}`);
    }
  };

  return { runtime, current, largeOn, backendLabel, targetFor, getBytes, etagOf, listAll, fetchWithCurl, uploadWithCurl };
}
