/**
 * Service SAS: the short-lived signed URLs every data request (and every control request of the worker build) uses.
 * This file holds the runtime-free WebCrypto signer of the worker build; the Node build signs with
 * `@azure/storage-blob`, and a test proves both produce the same query string for the same inputs and clock.
 */
import { toBase64 } from "@multistore/core/backend";

/** Storage service version of SAS tokens and REST requests (2026-02-06 added `startFrom` to List Blobs). */
export const API_VERSION = "2026-02-06";

/** Lifetime of SAS tokens. Azure checks them when a request starts, so long uploads outlive them safely. */
export const SAS_TTL_SECONDS = 900;

/** What a SAS grants. */
export interface SasRequest {
  /** Container. */
  container: string;
  /** Blob name (raw, not URL-encoded); absent for a container SAS (listing). */
  blob?: string;
  /** Permissions in Azure's canonical order (`r`, `cw`, `w`, `d`, `l`). */
  permissions: string;
  /** Expiry. */
  expiresOn: Date;
}

/** Produces SAS query strings (without `?`), e.g. `sv=...&se=...&sr=b&sp=r&sig=...`. */
export interface SasSigner {
  /** The SAS query string for `request`. */
  sign(request: SasRequest): Promise<string>;
}

/** Azure's time format in SAS tokens: ISO 8601 without milliseconds. */
export function sasTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function fromBase64Strict(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) out[index] = binary.charCodeAt(index);
  return out;
}

/**
 * The WebCrypto service SAS signer (string-to-sign of versions 2020-12-06 and later, as `@azure/storage-blob`
 * builds it; the query parameters in the SDK's order so both builds give byte-identical URLs).
 */
export function createWebCryptoSasSigner(accountName: string, accountKey: string): SasSigner {
  let key: Promise<CryptoKey> | undefined;
  const importKey = () =>
    (key ??= crypto.subtle.importKey("raw", fromBase64Strict(accountKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
  return {
    async sign(request) {
      const resource = request.blob === undefined ? "c" : "b";
      const expiry = sasTime(request.expiresOn);
      const canonical = `/blob/${accountName}/${request.container}${request.blob === undefined ? "" : `/${request.blob}`}`;
      // permissions, start, expiry, resource, identifier, IP, protocol, version, resource type, snapshot time,
      // encryption scope, then the five response-header overrides (all unused).
      const stringToSign = [request.permissions, "", expiry, canonical, "", "", "", API_VERSION, resource, "", "", "", "", "", "", ""].join("\n");
      const mac = await crypto.subtle.sign("HMAC", await importKey(), new TextEncoder().encode(stringToSign));
      const signature = toBase64(new Uint8Array(mac));
      const pairs: [string, string][] = [["sv", API_VERSION], ["se", expiry], ["sr", resource], ["sp", request.permissions], ["sig", signature]];
      return pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("&");
    },
  };
}
