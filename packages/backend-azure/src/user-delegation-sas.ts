/**
 * User delegation SAS: the SAS of `auth_type = "oidc"`, signed with a user delegation key that a Microsoft Entra
 * identity obtained (Get User Delegation Key) instead of the account key. This file holds what both builds share and
 * the worker build's WebCrypto signer; the Node build signs with `@azure/storage-blob`, and a test proves both give
 * the same query string.
 */
import { toBase64 } from "@multistore/core/backend";
import { API_VERSION, sasTime, type SasRequest, type SasSigner } from "./sas.js";

/** A user delegation key as Get User Delegation Key returns it (the fields a SAS carries as `skoid`, `sktid`, ...). */
export interface UserDelegationKey {
  /** `SignedOid`: object id of the Entra principal (skoid). */
  signedObjectId: string;
  /** `SignedTid`: its tenant (sktid). */
  signedTenantId: string;
  /** `SignedStart` (skt). */
  signedStart: string;
  /** `SignedExpiry` (ske): no SAS signed with the key is valid after it. */
  signedExpiry: string;
  /** `SignedService` (sks), `b`. */
  signedService: string;
  /** `SignedVersion` (skv). */
  signedVersion: string;
  /** The key, base64. */
  value: string;
}

/** Returns a valid user delegation key (the runtime caches and renews it). */
export type UserDelegationKeyProvider = () => Promise<UserDelegationKey>;

/** A SAS expiry never later than the key's: a SAS outliving its key would fail mid-use. */
export function expiryWithin(request: SasRequest, key: UserDelegationKey): Date {
  const keyExpiry = Date.parse(key.signedExpiry);
  return Number.isNaN(keyExpiry) || keyExpiry >= request.expiresOn.getTime() ? request.expiresOn : new Date(keyExpiry);
}

/** A key time as SAS tokens carry it: ISO 8601 without fractional seconds, whatever the service sent. */
export function keyTime(value: string): string {
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? value : sasTime(new Date(parsed));
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) out[index] = binary.charCodeAt(index);
  return out;
}

/**
 * The WebCrypto user delegation SAS signer: the string-to-sign of service versions 2025-07-05 and later (which added
 * the delegated user tenant and object ids, unused here), query parameters in the SDK's order.
 */
export function createWebCryptoUserDelegationSasSigner(accountName: string, userDelegationKey: UserDelegationKeyProvider): SasSigner {
  // Keys rotate rarely (hours); re-importing only when the value changes keeps signing cheap.
  let imported: { value: string; key: Promise<CryptoKey> } | undefined;
  const cryptoKey = (value: string) => {
    if (imported?.value !== value) {
      imported = { value, key: crypto.subtle.importKey("raw", base64Bytes(value), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]) };
    }
    return imported.key;
  };
  return {
    async sign(request) {
      const key = await userDelegationKey();
      const resource = request.blob === undefined ? "c" : "b";
      const expiry = sasTime(expiryWithin(request, key));
      const canonical = `/blob/${accountName}/${request.container}${request.blob === undefined ? "" : `/${request.blob}`}`;
      const signedKey: [string, string][] = [
        ["skoid", key.signedObjectId],
        ["sktid", key.signedTenantId],
        ["skt", keyTime(key.signedStart)],
        ["ske", keyTime(key.signedExpiry)],
        ["sks", key.signedService],
        ["skv", key.signedVersion],
      ];
      // permissions, start, expiry, resource, the six key fields, then authorized agent object id, agent object id,
      // correlation id, delegated user tenant id, delegated user object id, IP, protocol, version, resource type,
      // snapshot time, encryption scope and the five response-header overrides (all unused).
      const stringToSign = [
        request.permissions,
        "",
        expiry,
        canonical,
        ...signedKey.map(([, value]) => value),
        ...["", "", "", "", "", "", ""],
        API_VERSION,
        resource,
        ...["", "", "", "", "", "", ""],
      ].join("\n");
      const mac = await crypto.subtle.sign("HMAC", await cryptoKey(key.value), new TextEncoder().encode(stringToSign));
      const pairs: [string, string][] = [["sv", API_VERSION], ["se", expiry], ...signedKey, ["sr", resource], ["sp", request.permissions], ["sig", toBase64(new Uint8Array(mac))]];
      return pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("&");
    },
  };
}
