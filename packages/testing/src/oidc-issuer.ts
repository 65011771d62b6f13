/**
 * A local OIDC issuer for tests: discovery and JWKS over loopback HTTP, tokens minted with jose. Servers under test
 * must enable their test-only switch for `http://` loopback issuers (`allowInsecureIssuers`).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";

/** Options of `OidcIssuer.mint`. */
export interface MintOptions {
  /** `kid` header (default: the current key's for the algorithm; `null` leaves it out). */
  kid?: string | null;
  /** Algorithm: RS256 (default), ES256, HS256 (with `key` bytes or a random secret) or `none` (unsigned). */
  alg?: "RS256" | "ES256" | "HS256" | "none" | (string & {});
  /** Signing key: another private key (for bad signatures) or HS256 secret bytes. */
  key?: CryptoKey | Uint8Array;
}

/** A running test issuer. */
export interface OidcIssuer {
  /** The issuer URL (`http://127.0.0.1:<port>`), also the default `iss`. */
  issuer: string;
  /** Current key ids. */
  kids: { RS256: string; ES256: string };
  /** How often discovery and the JWKS were fetched. */
  fetches: { discovery: number; jwks: number };
  /**
   * A signed JWT. Defaults: `iss` = issuer, `sub` = `user-1`, `aud` = `multistore`, `iat` = now, `exp` = now + 10 min;
   * `claims` override them (a claim set to `undefined` is left out).
   */
  mint(claims?: JWTPayload, options?: MintOptions): Promise<string>;
  /** Replaces the signing keys (new kids); the JWKS then serves only the new keys. */
  rotateKeys(): Promise<void>;
  /**
   * Publishes one more public key of `alg` in the JWKS, signing nothing (a token without `kid` then has several
   * candidate keys, as an issuer mid-rotation publishes them).
   */
  publishExtraKey(alg?: "RS256" | "ES256"): Promise<void>;
  /** A key pair the JWKS does not publish (for bad-signature tests). */
  strangerKey(alg?: "RS256" | "ES256"): Promise<CryptoKey>;
  /** Stops the server. */
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

let generation = 0;

async function newKey(alg: "RS256" | "ES256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${++generation}-${crypto.randomUUID().slice(0, 8)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Starts an issuer on 127.0.0.1 (random port). */
export async function startOidcIssuer(): Promise<OidcIssuer> {
  let keys = { RS256: await newKey("RS256"), ES256: await newKey("ES256") };
  const extra: JWK[] = [];
  const fetches = { discovery: 0, jwks: 0 };
  let issuer = "";
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    let body: unknown;
    if (path === "/.well-known/openid-configuration") {
      fetches.discovery++;
      body = { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ["RS256", "ES256"], response_types_supported: ["id_token"], subject_types_supported: ["public"] };
    } else if (path === "/jwks") {
      fetches.jwks++;
      body = { keys: [...extra, keys.RS256.publicJwk, keys.ES256.publicJwk] };
    } else {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    get kids() {
      return { RS256: keys.RS256.kid, ES256: keys.ES256.kid };
    },
    fetches,
    async mint(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = { iss: issuer, sub: "user-1", aud: "multistore", iat: now, exp: now + 600, ...claims };
      const alg = options.alg ?? "RS256";
      if (alg === "none") return `${base64url({ alg: "none", typ: "JWT" })}.${base64url(payload)}.`;
      const current = alg === "ES256" ? keys.ES256 : keys.RS256;
      const kid = options.kid === undefined ? current.kid : options.kid;
      const key = options.key ?? (alg === "HS256" ? crypto.getRandomValues(new Uint8Array(32)) : current.privateKey);
      return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT", ...(kid !== null && { kid }) }).sign(key);
    },
    async rotateKeys() {
      keys = { RS256: await newKey("RS256"), ES256: await newKey("ES256") };
    },
    async publishExtraKey(alg = "RS256") {
      extra.push((await newKey(alg)).publicJwk);
    },
    async strangerKey(alg = "RS256") {
      return (await generateKeyPair(alg)).privateKey;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
