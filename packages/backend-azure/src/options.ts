/** Options of the Azure Blob Storage backend, validated when the backend is constructed. */

/** What `createAzureBackend` takes: the bucket's `backend_options`, as strings (TOML format). */
export interface AzureBackendOptions {
  /** Storage account name. Required, except with `use_emulator` (default `devstoreaccount1`). */
  account_name?: string;
  /** Blob container name. Required. */
  container_name: string;
  /** Storage account access key (base64), used to sign short-lived service SAS URLs; none: unsigned requests. */
  access_key?: string;
  /**
   * `"true"`: the local Azurite emulator: endpoint `http://127.0.0.1:10000/<account>`, and for Azurite's own account
   * (`devstoreaccount1`, the default) its published key unless another is given.
   */
  use_emulator?: string;
  /** `"true"`: send unsigned requests (public containers; writes then fail unless the container allows them). */
  skip_signature?: string;
  /** Blob service endpoint (`http://127.0.0.1:10000/devstoreaccount1` for Azurite); default `https://<account>.blob.core.windows.net`. */
  endpoint?: string;
  /**
   * `"static"` (default: `access_key`) or `"oidc"`: Microsoft Entra workload identity federation. The runtime passes
   * the federated credentials as extras (a user delegation key for SAS URLs; on Node also a bearer token for the
   * SDK's own requests); the endpoint must then be https.
   */
  auth_type?: string;
  /** With `auth_type = "oidc"`: directory (tenant) id of the app registration that trusts the proxy. */
  tenant_id?: string;
  /** With `auth_type = "oidc"`: application (client) id of that app registration. */
  client_id?: string;
  /** Other options are accepted and ignored here (the config package validates names). */
  [option: string]: string | undefined;
}

/** Validated, parsed options. */
export interface ResolvedAzureOptions {
  /** Storage account. */
  accountName: string;
  /** Container. */
  containerName: string;
  /** Blob service endpoint, without a trailing slash (path kept: Azurite puts the account there). */
  endpoint: string;
  /** Account key (base64), unless requests are unsigned or federated. */
  accountKey?: string;
  /** True with `auth_type = "oidc"`: SAS URLs are signed with a user delegation key from federated credentials. */
  federated?: true;
}

const BACKEND = "for backend_type = az";

/** Azurite's blob service on its default port, and its well-known development account (published by Microsoft). */
const AZURITE_BLOB_ORIGIN = "http://127.0.0.1:10000";
const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

function bool(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new Error(`${name} must be "true" or "false" ${BACKEND}`);
}

/**
 * Validates options; errors name the option ("container_name is required for backend_type = az") and never show
 * the access key.
 */
export function resolveAzureOptions(options: AzureBackendOptions): ResolvedAzureOptions {
  const emulator = bool(options.use_emulator, "use_emulator");
  const accountName = options.account_name || (emulator ? AZURITE_ACCOUNT : undefined);
  if (!accountName) throw new Error(`account_name is required ${BACKEND}`);
  // Azure's rules: 3-24 lowercase letters and digits. Azurite's devstoreaccount1 follows them too.
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) throw new Error(`account_name must be 3-24 lowercase letters or digits ${BACKEND}`);
  const containerName = options.container_name;
  if (!containerName) throw new Error(`container_name is required ${BACKEND}`);
  if (!/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/.test(containerName) && containerName !== "$root" && containerName !== "$web") {
    throw new Error(`container_name must be 3-63 lowercase letters, digits and single hyphens ${BACKEND}`);
  }
  const skipSignature = bool(options.skip_signature, "skip_signature");
  const authType = options.auth_type || "static";
  if (authType !== "static" && authType !== "oidc") throw new Error(`auth_type must be "static" or "oidc" ${BACKEND}`);
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint ?? (emulator ? `${AZURITE_BLOB_ORIGIN}/${accountName}` : `https://${accountName}.blob.core.windows.net`));
  } catch {
    throw new Error(`endpoint must be a URL (e.g. http://127.0.0.1:10000/devstoreaccount1) ${BACKEND}`);
  }
  if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") throw new Error(`endpoint must use http or https ${BACKEND}`);
  if (endpoint.search !== "" || endpoint.hash !== "") throw new Error(`endpoint must not have a query or fragment ${BACKEND}`);
  const base = { accountName, containerName, endpoint: `${endpoint.origin}${endpoint.pathname.replace(/\/+$/, "")}` };
  if (authType === "oidc") return { ...base, ...federatedOptions(options, endpoint, skipSignature) };
  // Azurite's own account comes with its published key, as Azure's SDKs and object_store assume with the emulator.
  const accessKey = options.access_key || (emulator && accountName === AZURITE_ACCOUNT && !skipSignature ? AZURITE_KEY : undefined);
  if (accessKey) {
    // The key is the HMAC secret as base64; a typo here would otherwise surface as 403s on every request.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accessKey) || accessKey.length % 4 !== 0) throw new Error(`access_key must be base64 ${BACKEND}`);
  }
  // No key: a public container, reached unsigned (skip_signature says so explicitly).
  return { ...base, ...(!skipSignature && accessKey && { accountKey: accessKey }) };
}

/** Checks of `auth_type = "oidc"`: federated identity instead of a key, and bearer tokens only over https. */
function federatedOptions(options: AzureBackendOptions, endpoint: URL, skipSignature: boolean): { federated: true } {
  const suffix = `${BACKEND} with auth_type = "oidc"`;
  if (options.access_key) throw new Error(`access_key must not be set ${suffix} (the proxy holds no account key)`);
  if (skipSignature) throw new Error(`skip_signature must not be "true" ${suffix}`);
  if (!options.tenant_id) throw new Error(`tenant_id is required ${suffix}`);
  if (!options.client_id) throw new Error(`client_id is required ${suffix}`);
  // Access tokens are bearer credentials: never send one in clear text.
  if (endpoint.protocol !== "https:") throw new Error(`endpoint must use https ${suffix}`);
  return { federated: true };
}
