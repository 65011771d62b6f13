/** Option validation: every error names the option to fix, and the access key never appears in one. */
import { describe, expect, it } from "vitest";
import { createAzureBackend as createNodeBackend } from "../src/node.js";
import { resolveAzureOptions, type AzureBackendOptions } from "../src/options.js";
import { createAzureBackend as createWorkerBackend } from "../src/worker.js";

const KEY = "c2VjcmV0LWtleS1ieXRlcw==";
const VALID: AzureBackendOptions = { account_name: "myaccount", container_name: "data", access_key: KEY };

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

  const cases: [string, Partial<AzureBackendOptions>, string][] = [
    ["account_name missing", { account_name: "" }, "account_name is required for backend_type = az"],
    ["account_name invalid", { account_name: "My_Account" }, "account_name must be 3-24 lowercase letters or digits for backend_type = az"],
    ["container_name missing", { container_name: undefined as never }, "container_name is required for backend_type = az"],
    ["container_name invalid", { container_name: "Bad--Name" }, "container_name must be 3-63 lowercase letters, digits and single hyphens for backend_type = az"],
    ["access_key missing", { access_key: undefined }, 'access_key is required for backend_type = az (or set skip_signature = "true" for a public container)'],
    ["access_key not base64", { access_key: "not base64!" }, "access_key must be base64 for backend_type = az"],
    ["skip_signature not boolean", { skip_signature: "yes" }, 'skip_signature must be "true" or "false" for backend_type = az'],
    ["endpoint not http", { endpoint: "ftp://127.0.0.1:10000/devstoreaccount1" }, "endpoint must use http or https for backend_type = az"],
    ["endpoint garbage", { endpoint: "::" }, "endpoint must be a URL (e.g. http://127.0.0.1:10000/devstoreaccount1) for backend_type = az"],
    ["endpoint with a query", { endpoint: "https://x.example/?sv=1" }, "endpoint must not have a query or fragment for backend_type = az"],
    ["auth_type oidc", { auth_type: "oidc" }, 'auth_type = "oidc" is not supported for backend_type = az (use "static" with access_key)'],
  ];
  for (const [name, change, message] of cases) {
    it(`refuses ${name}`, () => {
      expect(() => resolveAzureOptions({ ...VALID, ...change })).toThrow(message);
    });
  }

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
});
