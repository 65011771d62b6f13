/**
 * Both builds sign the same SAS: the worker's WebCrypto signer against the SDK's `generateBlobSASQueryParameters`,
 * directly and through every object operation, for a pinned clock. (Azurite checking these signatures is in
 * azurite.test.ts.)
 */
import { createHmac } from "node:crypto";
import type { ForwardDispatch, ObjectRequest } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import { createSdkSasSigner, StorageSharedKeyCredential } from "../src/node-client.js";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import { API_VERSION, createWebCryptoSasSigner, sasTime, type SasRequest } from "../src/sas.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const NOW = new Date("2030-05-06T07:08:09.123Z");

describe("SAS signers", () => {
  const sdk = createSdkSasSigner(new StorageSharedKeyCredential(ACCOUNT, KEY));
  const webCrypto = createWebCryptoSasSigner(ACCOUNT, KEY);
  const requests: SasRequest[] = [
    { container: "data", blob: "plain.txt", permissions: "r", expiresOn: NOW },
    { container: "data", blob: "dir/ünï cødé+%?#&=😀.bin", permissions: "cw", expiresOn: NOW },
    { container: "data", blob: ".multistore-uploads/0123456789abcdef0123456789abcdef", permissions: "w", expiresOn: NOW },
    { container: "data", blob: "k", permissions: "d", expiresOn: NOW },
    { container: "data", permissions: "l", expiresOn: NOW },
  ];

  for (const request of requests) {
    it(`agree for ${request.blob ?? "the container"} (${request.permissions})`, async () => {
      expect(await webCrypto.sign(request)).toBe(await sdk.sign(request));
    });
  }

  it("sign Azure's service SAS string (2020-12-06 and later) with the account key", async () => {
    const query = new URLSearchParams(await webCrypto.sign(requests[1]!));
    expect(Object.fromEntries(query)).toMatchObject({ sv: API_VERSION, se: "2030-05-06T07:08:09Z", sr: "b", sp: "cw" });
    const stringToSign = ["cw", "", sasTime(NOW), `/blob/${ACCOUNT}/data/${requests[1]!.blob}`, "", "", "", API_VERSION, "b", "", "", "", "", "", "", ""].join("\n");
    expect(query.get("sig")).toBe(createHmac("sha256", Buffer.from(KEY, "base64")).update(stringToSign).digest("base64"));
  });
});

describe("object URLs of both builds", () => {
  const options = { account_name: ACCOUNT, container_name: "data", access_key: KEY, endpoint: "http://127.0.0.1:10000/devstoreaccount1" };
  const operations: Omit<ObjectRequest, "headers">[] = [
    { operation: "GetObject", key: "dir/a b+c%25(ü)*!'~.txt" },
    { operation: "HeadObject", key: "k" },
    { operation: "PutObject", key: "new/😀" },
    { operation: "DeleteObject", key: "gone" },
  ];

  for (const request of operations) {
    it(`agree for ${request.operation}`, async () => {
      const prepared: ForwardDispatch[] = [];
      for (const create of [createNodeBackend, createWorkerBackend]) {
        const dispatch = await create(options, { now: () => NOW }).prepareObject({ ...request, headers: new Headers({ "content-length": "1" }) });
        if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
        prepared.push(dispatch);
      }
      expect(prepared[0]!.url).toBe(prepared[1]!.url);
      expect([...prepared[0]!.headers]).toEqual([...prepared[1]!.headers]);
      const url = new URL(prepared[0]!.url);
      expect(url.searchParams.get("se")).toBe("2030-05-06T07:23:09Z");
      expect(url.pathname.startsWith("/devstoreaccount1/data/")).toBe(true);
    });
  }
});

describe("unsigned requests (skip_signature)", () => {
  it("use plain URLs, the same in both builds", async () => {
    const options = { account_name: "public1", container_name: "open", skip_signature: "true" };
    const urls: string[] = [];
    for (const create of [createNodeBackend, createWorkerBackend]) {
      const dispatch = await create(options).prepareObject({ operation: "GetObject", key: "a b", headers: new Headers() });
      if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
      urls.push(dispatch.url);
    }
    expect(urls).toEqual(["https://public1.blob.core.windows.net/open/a%20b", "https://public1.blob.core.windows.net/open/a%20b"]);
  });
});
