/**
 * Multipart upload ids bound to their bucket and key. The gateway never hands a client the backend's upload id as it
 * is: it hands out `<backend id>.<MAC>`, where the MAC (HMAC-SHA256, truncated to 128 bits) covers the gateway bucket,
 * the object key and the backend id. A request naming an upload must carry an id made for its own bucket and key, so
 * an id learned elsewhere (another principal's upload, another tenant's bucket on the same backend) gets 404
 * NoSuchUpload here, whether or not the backend would have checked it. S3-compatible stores that do not bind parts to
 * their upload's key (s3rver does not) can then not be used to write outside a caller's scope.
 */
import { fromBase64, toBase64, utf8 } from "./encoding.js";
import { S3Error } from "./errors.js";
import { cryptoPrimitives, type HmacKey } from "./crypto-primitives.js";
import { signHex } from "./sigv4/signing-key.js";

/** Wraps backend upload ids for clients and unwraps (and checks) the ids clients send. */
export interface UploadIdCodec {
  /** The id to hand the client for a new upload of `key` in `bucket`. */
  wrap(bucket: string, key: string, backendId: string): Promise<string>;
  /** The backend's id inside a client's id; NoSuchUpload unless it was made for this bucket and key. */
  unwrap(bucket: string, key: string, clientId: string): Promise<string>;
}

const MAC_HEX_CHARACTERS = 32;

function base64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function noSuchUpload(): S3Error {
  return new S3Error("NoSuchUpload");
}

/**
 * A codec keyed by `secret` (any string: instances that serve one fleet must share it; the servers use
 * SESSION_TOKEN_KEY when set, else a digest of their configuration's secrets). The MAC key is derived from it with a
 * fixed label, so the secret is never used as is.
 */
export function createUploadIdCodec(secret: string): UploadIdCodec {
  let key: Promise<HmacKey> | undefined;
  let generation = -1;
  const macKey = (): Promise<HmacKey> => {
    // Keys of other crypto primitives (installed later) are of another kind: derive again for the new ones.
    const current = cryptoPrimitives();
    if (!key || generation !== current.generation) {
      generation = current.generation;
      key = (async () => {
        const root = await current.primitives.importHmacKey(utf8(secret));
        const derived = await current.primitives.hmacSha256(root, utf8("multistore upload ids v1"));
        return current.primitives.importHmacKey(derived instanceof Uint8Array ? derived : new Uint8Array(derived));
      })();
    }
    return key;
  };
  const mac = async (bucket: string, objectKey: string, encodedId: string) =>
    (await signHex(await macKey(), `${bucket}\n${objectKey}\n${encodedId}`)).slice(0, MAC_HEX_CHARACTERS);
  return {
    async wrap(bucket, objectKey, backendId) {
      const encoded = base64Url(utf8(backendId));
      return `${encoded}.${await mac(bucket, objectKey, encoded)}`;
    },
    async unwrap(bucket, objectKey, clientId) {
      const dot = clientId.lastIndexOf(".");
      if (dot <= 0 || clientId.length - dot - 1 !== MAC_HEX_CHARACTERS) throw noSuchUpload();
      const encoded = clientId.slice(0, dot);
      const expected = await mac(bucket, objectKey, encoded);
      // Constant time: the MAC must not be found one character at a time.
      let difference = 0;
      for (let index = 0; index < MAC_HEX_CHARACTERS; index++) difference |= expected.charCodeAt(index) ^ clientId.charCodeAt(dot + 1 + index);
      if (difference !== 0) throw noSuchUpload();
      const bytes = fromBase64(encoded);
      if (bytes === undefined) throw noSuchUpload();
      return new TextDecoder().decode(bytes);
    },
  };
}
