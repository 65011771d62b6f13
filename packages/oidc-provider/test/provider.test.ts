/** The provider: key formats, discovery and JWKS documents, and minted tokens verified against the published JWKS. */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOidcProvider, oidcProviderFromEnv, parseProviderKeys, type OidcProvider } from "../src/index.js";
import { rsaPem, serveRoutes } from "./helpers.js";

const pemA = rsaPem();
const pemB = rsaPem();

describe("OIDC_PROVIDER_KEY formats", () => {
  it("reads a JSON array of {kid, pem}; the first key signs", () => {
    const keys = parseProviderKeys(JSON.stringify([{ kid: "k1", pem: pemA }, { kid: "k2", pem: pemB }]));
    expect(keys.map((key) => key.kid)).toEqual(["k1", "k2"]);
  });

  it("reads concatenated PEM blocks, also with literal \\n sequences", () => {
    expect(parseProviderKeys(`${pemA}\n${pemB}`)).toHaveLength(2);
    expect(parseProviderKeys(pemA.replace(/\n/g, "\\n"))).toHaveLength(1);
  });

  it("refuses malformed values with a message naming the fix, never the key", () => {
    const pkcs1 = pemA.replace(/PRIVATE KEY/g, "RSA PRIVATE KEY");
    expect(() => parseProviderKeys(pkcs1)).toThrow(/PKCS#1.*openssl pkcs8 -topk8/);
    expect(() => parseProviderKeys("not a key")).toThrow(/PKCS#8 PEM/);
    expect(() => parseProviderKeys("[{")).toThrow(/not valid JSON/);
    expect(() => parseProviderKeys(JSON.stringify([{ kid: "a", pem: pemA }, { kid: "a", pem: pemB }]))).toThrow(/used twice/);
    expect(() => parseProviderKeys(JSON.stringify([]))).toThrow(/at least one key/);
    try {
      parseProviderKeys(pkcs1);
    } catch (error) {
      expect((error as Error).message).not.toContain(pemA.split("\n")[1]!.slice(0, 20));
    }
  });

  it("oidcProviderFromEnv: neither set → undefined; one without the other → error; http only on loopback", () => {
    expect(oidcProviderFromEnv({})).toBeUndefined();
    expect(() => oidcProviderFromEnv({ OIDC_PROVIDER_KEY: pemA })).toThrow(/OIDC_PROVIDER_ISSUER is not/);
    expect(() => oidcProviderFromEnv({ OIDC_PROVIDER_ISSUER: "https://proxy.example.com" })).toThrow(/OIDC_PROVIDER_KEY is not/);
    expect(() => oidcProviderFromEnv({ OIDC_PROVIDER_KEY: pemA, OIDC_PROVIDER_ISSUER: "http://proxy.example.com" })).toThrow(/https/);
    expect(oidcProviderFromEnv({ OIDC_PROVIDER_KEY: pemA, OIDC_PROVIDER_ISSUER: "https://proxy.example.com/" })?.issuer).toBe("https://proxy.example.com");
  });

  it("a key that is not RSA is refused when the keys are imported", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const provider = createOidcProvider({ issuer: "https://proxy.example.com", keys: [{ pem: ec }] });
    await expect(provider.jwks()).rejects.toThrow(/not a PKCS#8 RSA private key/);
  });
});

describe("discovery, JWKS and minted tokens over HTTP", () => {
  let provider: OidcProvider;
  let server: Awaited<ReturnType<typeof serveRoutes>>;

  beforeAll(async () => {
    server = await serveRoutes(() => provider.routes);
    provider = createOidcProvider({ issuer: server.url, keys: [{ kid: "current", pem: pemA }, { kid: "next", pem: pemB }] });
  });
  afterAll(() => server.close());

  it("serves the discovery document", async () => {
    const response = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({
      issuer: server.url,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
  });

  it("serves every public key with kid, alg RS256 and use sig, and nothing private", async () => {
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(["current", "next"]);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", e: "AQAB" });
      expect(typeof key.n).toBe("string");
      for (const member of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(member);
    }
  });

  it("mints a token that verifies against the published JWKS, with iss, sub, aud, iat, exp and jti", async () => {
    const token = await provider.mintToken({ subject: "s3-proxy", audience: "sts.amazonaws.com", ttlSeconds: 120 });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "RS256", kid: "current", typ: "JWT" });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token, jwks, { issuer: server.url, audience: "sts.amazonaws.com", algorithms: ["RS256"] });
    expect(payload.sub).toBe("s3-proxy");
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const other = await provider.mintToken({ subject: "s3-proxy", audience: "sts.amazonaws.com" });
    expect((await jwtVerify(other, jwks)).payload.jti).not.toBe(payload.jti);
  });

  it("refuses to mint without subject or audience, or with an absurd lifetime", async () => {
    await expect(provider.mintToken({ subject: "", audience: "a" })).rejects.toThrow(/subject/);
    await expect(provider.mintToken({ subject: "s", audience: "" })).rejects.toThrow(/audience/);
    await expect(provider.mintToken({ subject: "s", audience: "a", ttlSeconds: 86400 })).rejects.toThrow(/ttlSeconds/);
  });

  it("without kids, each kid is the key's JWK thumbprint", async () => {
    const anonymous = createOidcProvider({ issuer: server.url, keys: [{ pem: pemA }] });
    const [key] = (await anonymous.jwks()).keys;
    expect(key!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeProtectedHeader(await anonymous.mintToken({ subject: "s", audience: "a" })).kid).toBe(key!.kid);
  });
});

describe("an issuer with a path", () => {
  it("serves the documents under that path", async () => {
    let provider: OidcProvider | undefined;
    const server = await serveRoutes(() => provider!.routes);
    try {
      provider = createOidcProvider({ issuer: `${server.url}/oidc/`, keys: [{ pem: pemA }] });
      expect(provider.issuer).toBe(`${server.url}/oidc`);
      const discovery = (await (await fetch(`${server.url}/oidc/.well-known/openid-configuration`)).json()) as Record<string, string>;
      expect(discovery.jwks_uri).toBe(`${server.url}/oidc/.well-known/jwks.json`);
      expect((await fetch(discovery.jwks_uri!)).status).toBe(200);
      expect((await fetch(`${server.url}/.well-known/openid-configuration`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
