/**
 * User delegation SAS (`auth_type = "oidc"`): the worker's WebCrypto signer against the SDK's
 * `generateBlobSASQueryParameters` with a user delegation key, directly and through object operations, for a pinned
 * clock; the string-to-sign written out from Azure's documentation; SAS expiry bounded by the key's. (Azurite
 * checking these signatures end to end is in the servers' Azure federation tests.)
 */
import { createHmac } from "node:crypto";
import type { ForwardDispatch, ObjectRequest } from "@multistore/core/backend";
import { describe, expect, it } from "vitest";
import { createSdkUserDelegationSasSigner } from "../src/node-client.js";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import { API_VERSION, type SasRequest } from "../src/sas.js";
import { createWebCryptoUserDelegationSasSigner, type UserDelegationKey } from "../src/user-delegation-sas.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

const ACCOUNT = "devstoreaccount1";
const NOW = new Date("2030-05-06T07:08:09.123Z");
const KEY: UserDelegationKey = {
  signedObjectId: "6f1f3c2a-0000-4000-8000-00000000a11c",
  signedTenantId: "00000000-0000-0000-0000-00000000beef",
  signedStart: "2030-05-06T07:00:00Z",
  signedExpiry: "2030-05-06T09:00:00Z",
  signedService: "b",
  signedVersion: "2026-06-06",
  value: Buffer.from("user-delegation-key-bytes-000001").toString("base64"),
};
const provider = async () => KEY;

describe("user delegation SAS signers", () => {
  const sdk = createSdkUserDelegationSasSigner(ACCOUNT, provider);
  const webCrypto = createWebCryptoUserDelegationSasSigner(ACCOUNT, provider);
  const requests: SasRequest[] = [
    { container: "data", blob: "plain.txt", permissions: "r", expiresOn: NOW },
    { container: "data", blob: "dir/ünï cødé+%?#&=😀.bin", permissions: "cw", expiresOn: NOW },
    { container: "data", blob: "k", permissions: "d", expiresOn: NOW },
    { container: "data", permissions: "l", expiresOn: NOW },
  ];

  for (const request of requests) {
    it(`agree for ${request.blob ?? "the container"} (${request.permissions})`, async () => {
      expect(await webCrypto.sign(request)).toBe(await sdk.sign(request));
    });
  }

  it("sign the string of service versions 2025-07-05 and later with the user delegation key", async () => {
    const query = new URLSearchParams(await webCrypto.sign(requests[1]!));
    expect(Object.fromEntries(query)).toMatchObject({
      sv: API_VERSION,
      se: "2030-05-06T07:08:09Z",
      sr: "b",
      sp: "cw",
      skoid: KEY.signedObjectId,
      sktid: KEY.signedTenantId,
      skt: KEY.signedStart,
      ske: KEY.signedExpiry,
      sks: "b",
      skv: KEY.signedVersion,
    });
    const stringToSign = [
      "cw",
      "",
      "2030-05-06T07:08:09Z",
      `/blob/${ACCOUNT}/data/${requests[1]!.blob}`,
      KEY.signedObjectId,
      KEY.signedTenantId,
      KEY.signedStart,
      KEY.signedExpiry,
      "b",
      KEY.signedVersion,
      ...["", "", "", "", "", "", ""],
      API_VERSION,
      "b",
      ...["", "", "", "", "", "", ""],
    ].join("\n");
    expect(query.get("sig")).toBe(createHmac("sha256", Buffer.from(KEY.value, "base64")).update(stringToSign).digest("base64"));
  });

  it("never sign past the key's expiry, and carry key times without fractional seconds", async () => {
    const late = { ...KEY, signedExpiry: "2030-05-06T07:05:00.0000000Z", signedStart: "2030-05-06T06:00:00.0000000Z" };
    for (const signer of [createWebCryptoUserDelegationSasSigner(ACCOUNT, async () => late), createSdkUserDelegationSasSigner(ACCOUNT, async () => late)]) {
      const query = new URLSearchParams(await signer.sign(requests[0]!));
      expect([query.get("se"), query.get("ske"), query.get("skt")]).toEqual(["2030-05-06T07:05:00Z", "2030-05-06T07:05:00Z", "2030-05-06T06:00:00Z"]);
    }
  });

  it("ask for the key on every signature, so a renewed key is used at once", async () => {
    let current = KEY;
    const signer = createWebCryptoUserDelegationSasSigner(ACCOUNT, async () => current);
    const first = new URLSearchParams(await signer.sign(requests[0]!)).get("sig");
    current = { ...KEY, value: Buffer.from("a-renewed-user-delegation-key-02").toString("base64") };
    expect(new URLSearchParams(await signer.sign(requests[0]!)).get("sig")).not.toBe(first);
  });
});

describe("object URLs of both builds with auth_type = oidc", () => {
  const options = { account_name: ACCOUNT, container_name: "data", auth_type: "oidc", tenant_id: KEY.signedTenantId, client_id: "app", endpoint: "https://127.0.0.1:10000/devstoreaccount1" };
  const accessToken = async () => ({ accessToken: "unused", expiresAt: new Date("2030-05-06T08:00:00Z") });
  const operations: Omit<ObjectRequest, "headers">[] = [
    { operation: "GetObject", key: "dir/a b+c%25(ü)*!'~.txt" },
    { operation: "PutObject", key: "new/😀" },
    { operation: "DeleteObject", key: "gone" },
  ];

  for (const request of operations) {
    it(`agree for ${request.operation}`, async () => {
      const prepared: ForwardDispatch[] = [];
      const backends = [createNodeBackend(options, { now: () => NOW, userDelegationKey: provider, accessToken }), createWorkerBackend(options, { now: () => NOW, userDelegationKey: provider })];
      for (const backend of backends) {
        const dispatch = await backend.prepareObject({ ...request, headers: new Headers({ "content-length": "1" }) });
        if (dispatch.type !== "forward") throw new Error("expected a forward dispatch");
        prepared.push(dispatch);
      }
      expect(prepared[0]!.url).toBe(prepared[1]!.url);
      expect(new URL(prepared[0]!.url).searchParams.get("skoid")).toBe(KEY.signedObjectId);
    });
  }
});
