/**
 * The provider's signing keys: RSA private keys in PKCS#8 PEM, each with a `kid`. The first key signs; every key is
 * published in the JWKS, so a rotation publishes the next key before it signs and keeps the old one until tokens
 * signed with it have expired.
 *
 * `OIDC_PROVIDER_KEY` holds either
 * - a JSON array `[{"kid":"2025-01","pem":"-----BEGIN PRIVATE KEY-----\n..."}]` (the first entry signs), or
 * - one or more PEM blocks (`-----BEGIN PRIVATE KEY-----` ... `-----END PRIVATE KEY-----`) one after the other; the
 *   first signs and each `kid` is the key's RFC 7638 JWK thumbprint. Literal `\n` sequences (as some secret stores
 *   write newlines) are read as newlines.
 */
import type { JWK } from "jose";

/** One configured key, not yet imported. */
export interface ProviderKeyInput {
  /** Key id published in the JWKS and set in the header of tokens it signs; the JWK thumbprint when absent. */
  kid?: string;
  /** RSA private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  pem: string;
}

/** An imported key. */
export interface SigningKey {
  /** Key id. */
  kid: string;
  /** Private key (WebCrypto), for RS256. */
  privateKey: CryptoKey;
  /** Public JWK with `kid`, `alg: RS256` and `use: sig`. */
  publicJwk: JWK;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g;
const KID = /^[\x21-\x7e]{1,128}$/;
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** Checks one PEM's shape (synchronously, so configuration errors are reported at startup). */
function checkPem(pem: string, where: string): string {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length !== 1) throw new Error(`${where} must be one PEM block (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)`);
  const label = blocks[0]![1];
  if (label === "RSA PRIVATE KEY") {
    throw new Error(`${where} is a PKCS#1 key; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem`);
  }
  if (label === "ENCRYPTED PRIVATE KEY") throw new Error(`${where} is encrypted; give the unencrypted PKCS#8 key`);
  if (label !== "PRIVATE KEY") throw new Error(`${where} must be a PKCS#8 RSA private key (-----BEGIN PRIVATE KEY-----), got "${label}"`);
  return blocks[0]![0];
}

/**
 * Parses the `OIDC_PROVIDER_KEY` format (see the module comment). Throws an error naming the problem, never the key.
 *
 * @param value the environment value
 * @param name the variable name used in messages
 */
export function parseProviderKeys(value: string, name = "OIDC_PROVIDER_KEY"): ProviderKeyInput[] {
  const text = value.trim();
  let keys: ProviderKeyInput[];
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${name} starts with "[" but is not valid JSON (expected [{"kid":"...","pem":"-----BEGIN PRIVATE KEY-----..."}])`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${name} must be a JSON array of {"kid","pem"} objects`);
    keys = parsed.map((entry: unknown, index) => {
      const where = `${name}[${index}]`;
      if (typeof entry !== "object" || entry === null) throw new Error(`${where} must be an object {"kid":"...","pem":"..."}`);
      const { kid, pem } = entry as Record<string, unknown>;
      if (typeof pem !== "string") throw new Error(`${where}.pem must be a string`);
      if (kid !== undefined && typeof kid !== "string") throw new Error(`${where}.kid must be a string`);
      return { ...(kid !== undefined && { kid }), pem };
    });
  } else {
    const normalized = text.includes("\\n") ? text.replace(/\\n/g, "\n") : text;
    keys = [...normalized.matchAll(PEM_BLOCK)].map((match) => ({ pem: match[0] }));
    if (keys.length === 0) throw new Error(`${name} must be PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) or a JSON array [{"kid","pem"}]`);
  }
  return validateKeys(keys, name);
}

/** Validates key inputs: at least one, well-formed PEMs, unique kids. Returns them with PEMs trimmed to their block. */
export function validateKeys(keys: readonly ProviderKeyInput[], name = "keys"): ProviderKeyInput[] {
  if (keys.length === 0) throw new Error(`${name} must hold at least one key`);
  const seen = new Set<string>();
  return keys.map((key, index) => {
    const where = `${name}[${index}]`;
    const pem = checkPem(key.pem.includes("\\n") ? key.pem.replace(/\\n/g, "\n") : key.pem, where);
    if (key.kid !== undefined) {
      if (!KID.test(key.kid)) throw new Error(`${where}.kid must be 1-128 printable ASCII characters without spaces`);
      if (seen.has(key.kid)) throw new Error(`${where}.kid "${key.kid}" is used twice`);
      seen.add(key.kid);
    }
    return { ...(key.kid !== undefined && { kid: key.kid }), pem };
  });
}

/** Imports validated keys (WebCrypto via jose). Throws when a key is not an RSA key or kids collide. */
export async function importSigningKeys(keys: readonly ProviderKeyInput[]): Promise<SigningKey[]> {
  // Imported here, where keys are first needed: a server without the provider never loads jose.
  const { calculateJwkThumbprint, exportJWK, importPKCS8 } = await import("./jose-signing.js");
  const imported = await Promise.all(
    keys.map(async (key, index) => {
      let privateKey: CryptoKey;
      try {
        privateKey = await importPKCS8(key.pem, "RS256", { extractable: true });
      } catch (error) {
        throw new Error(`OIDC provider key ${index} is not a PKCS#8 RSA private key usable for RS256`, { cause: error });
      }
      const jwk = await exportJWK(privateKey);
      const publicJwk: JWK = { ...jwk };
      for (const member of PRIVATE_MEMBERS) delete publicJwk[member];
      delete publicJwk.key_ops;
      delete publicJwk.ext;
      const kid = key.kid ?? (await calculateJwkThumbprint(publicJwk, "sha256"));
      return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: "RS256", use: "sig" } };
    }),
  );
  const kids = new Set(imported.map((key) => key.kid));
  if (kids.size !== imported.length) throw new Error("OIDC provider keys must have distinct kids (the same key is configured twice)");
  return imported;
}
