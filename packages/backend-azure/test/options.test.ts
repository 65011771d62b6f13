/** Option validation: every error names the option to fix, and the access key never appears in one. */
import { describe, expect, it } from "vitest";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import { resolveAzureOptions, type AzureBackendOptions } from "../src/options.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

const KEY = "c2VjcmV0LWtleS1ieXRlcw==";
const VALID: AzureBackendOptions = { account_name: "myaccount", container_name: "data", access_key: KEY };
const OIDC: Partial<AzureBackendOptions> = { auth_type: "oidc", tenant_id: "00000000-0000-0000-0000-00000000beef", client_id: "11111111-2222-3333-4444-555555555555" };

describe("resolveAzureOptions", () => {
  it("derives the public endpoint from the account", () => {
    expect(resolveAzureOptions(VALID)).toEqual({ accountName: "myaccount", containerName: "data", endpoint: "https://myaccount.blob.core.windows.net", accountKey: KEY });
  });

  it("keeps a custom endpoint's path (Azurite puts the account there) without a trailing slash", () => {
    const resolved = resolveAzureOptions({ ...VALID, endpoint: "http://127.0.0.1:10000/devstoreaccount1/" });
    expect(resolved.endpoint).toBe("http://127.0.0.1:10000/devstoreaccount1");
    expect(resolveAzureOptions({ ...VALID, endpoint: "https://myaccount.blob.core.chinacloudapi.cn" }).endpoint).toBe("https://myaccount.blob.core.chinacloudapi.cn");
  });

  it("signs nothing with skip_signature = true", () => {
    const resolved = resolveAzureOptions({ account_name: "public1", container_name: "open", skip_signature: "true" });
    expect(resolved.accountKey).toBeUndefined();
  });

  it("reaches a container without a key unsigned, as skip_signature does", () => {
    expect(resolveAzureOptions({ account_name: "public1", container_name: "open" })).toEqual({ accountName: "public1", containerName: "open", endpoint: "https://public1.blob.core.windows.net" });
  });

  it("use_emulator = true means Azurite: its endpoint, its account and its published key unless others are given", () => {
    const azurite = resolveAzureOptions({ container_name: "data", use_emulator: "true" });
    expect(azurite).toMatchObject({ accountName: "devstoreaccount1", endpoint: "http://127.0.0.1:10000/devstoreaccount1" });
    expect(azurite.accountKey).toMatch(/^Eby8/);
    expect(resolveAzureOptions({ account_name: "other1", container_name: "data", use_emulator: "true", access_key: KEY })).toMatchObject({ endpoint: "http://127.0.0.1:10000/other1", accountKey: KEY });
    expect(resolveAzureOptions({ container_name: "data", use_emulator: "true", skip_signature: "true" }).accountKey).toBeUndefined();
    expect(() => resolveAzureOptions({ container_name: "data", use_emulator: "yes" })).toThrow('use_emulator must be "true" or "false" for backend_type = az');
  });

  const cases: [string, Partial<AzureBackendOptions>, string][] = [
    ["account_name missing", { account_name: "" }, "account_name is required for backend_type = az"],
    ["account_name invalid", { account_name: "My_Account" }, "account_name must be 3-24 lowercase letters or digits for backend_type = az"],
    ["container_name missing", { container_name: undefined as never }, "container_name is required for backend_type = az"],
    ["container_name invalid", { container_name: "Bad--Name" }, "container_name must be 3-63 lowercase letters, digits and single hyphens for backend_type = az"],
    ["access_key not base64", { access_key: "not base64!" }, "access_key must be base64 for backend_type = az"],
    ["skip_signature not boolean", { skip_signature: "yes" }, 'skip_signature must be "true" or "false" for backend_type = az'],
    ["endpoint not http", { endpoint: "ftp://127.0.0.1:10000/devstoreaccount1" }, "endpoint must use http or https for backend_type = az"],
    ["endpoint garbage", { endpoint: "::" }, "endpoint must be a URL (e.g. http://127.0.0.1:10000/devstoreaccount1) for backend_type = az"],
    ["endpoint with a query", { endpoint: "https://x.example/?sv=1" }, "endpoint must not have a query or fragment for backend_type = az"],
    ["auth_type unknown", { auth_type: "entra" }, 'auth_type must be "static" or "oidc" for backend_type = az'],
    ["oidc with a key", { ...OIDC, access_key: KEY }, 'access_key must not be set for backend_type = az with auth_type = "oidc" (the proxy holds no account key)'],
    ["oidc unsigned", { ...OIDC, access_key: undefined, skip_signature: "true" }, 'skip_signature must not be "true" for backend_type = az with auth_type = "oidc"'],
    ["oidc without tenant_id", { ...OIDC, access_key: undefined, tenant_id: "" }, 'tenant_id is required for backend_type = az with auth_type = "oidc"'],
    ["oidc without client_id", { ...OIDC, access_key: undefined, client_id: undefined }, 'client_id is required for backend_type = az with auth_type = "oidc"'],
    ["oidc over http", { ...OIDC, access_key: undefined, endpoint: "http://127.0.0.1:10000/devstoreaccount1" }, 'endpoint must use https for backend_type = az with auth_type = "oidc"'],
  ];
  for (const [name, change, message] of cases) {
    it(`refuses ${name}`, () => {
      expect(() => resolveAzureOptions({ ...VALID, ...change })).toThrow(message);
    });
  }

  it("accepts auth_type = oidc with a tenant, a client and an https endpoint, and holds no key", () => {
    const resolved = resolveAzureOptions({ account_name: "myaccount", container_name: "data", ...OIDC });
    expect(resolved).toEqual({ accountName: "myaccount", containerName: "data", endpoint: "https://myaccount.blob.core.windows.net", federated: true });
  });

  it("never shows the key in an error", () => {
    const secret = "AAAA not valid BBBB";
    expect(() => resolveAzureOptions({ ...VALID, access_key: secret })).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
  });

  it("validates in both builds' factories", () => {
    for (const create of [createNodeBackend, createWorkerBackend]) {
      expect(() => create({ ...VALID, container_name: "" })).toThrow("container_name is required for backend_type = az");
      expect(create(VALID).kind).toBe("az");
    }
  });

  it("refuses auth_type = oidc in both builds without the federated credentials, saying how to provide them", () => {
    const federated = { account_name: "myaccount", container_name: "data", ...OIDC } as AzureBackendOptions;
    const userDelegationKey = async () => ({ signedObjectId: "o", signedTenantId: "t", signedStart: "2030-01-01T00:00:00Z", signedExpiry: "2030-01-02T00:00:00Z", signedService: "b", signedVersion: "2026-02-06", value: KEY });
    const accessToken = async () => ({ accessToken: "token", expiresAt: new Date("2030-01-02T00:00:00Z") });
    for (const create of [createNodeBackend, createWorkerBackend]) {
      expect(() => create(federated)).toThrow(/auth_type = "oidc" needs federated credentials for backend_type = az \(userDelegationKey\): set OIDC_PROVIDER_KEY/);
    }
    expect(() => createNodeBackend(federated, { userDelegationKey })).toThrow(/\(accessToken\)/);
    expect(createNodeBackend(federated, { userDelegationKey, accessToken }).copyDomain).toBe("az:https://myaccount.blob.core.windows.net:myaccount:oidc");
    expect(createWorkerBackend(federated, { userDelegationKey }).copyDomain).toBe("az:https://myaccount.blob.core.windows.net:myaccount:oidc");
  });
});
