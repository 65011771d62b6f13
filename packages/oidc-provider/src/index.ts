/**
 * @multistore/oidc-provider: the proxy as an OpenID Connect provider for its backends. It serves discovery and JWKS
 * documents, mints short-lived RS256 tokens for itself, and exchanges them for cloud credentials (AWS
 * AssumeRoleWithWebIdentity, Microsoft Entra workload identity federation, Google workload identity federation),
 * cached and renewed in the background. Runtime-free: fetch, WebCrypto and jose.
 */
export { createOidcProvider, normalizeIssuer, oidcProviderFromEnv, type MintTokenOptions, type OidcProvider, type OidcProviderOptions } from "./provider.js";
export { importSigningKeys, parseProviderKeys, validateKeys, type ProviderKeyInput, type SigningKey } from "./keys.js";
export { createCredentialCache, type CredentialCache, type CredentialCacheOptions, type Expiring } from "./cache.js";
export { FederationError, type HttpOptions } from "./http.js";
export {
  assumeRoleWithWebIdentity,
  AWS_AUDIENCE,
  DEFAULT_STS_ENDPOINT,
  roleSessionNameFor,
  type AssumeRoleWithWebIdentityOptions,
  type AwsTemporaryCredentials,
} from "./aws.js";
export {
  AZURE_AUDIENCE,
  AZURE_STORAGE_SCOPE,
  azureTime,
  DEFAULT_AZURE_AUTHORITY,
  DEFAULT_AZURE_STORAGE_VERSION,
  exchangeForAzureToken,
  getUserDelegationKey,
  type AccessToken,
  type AzureTokenOptions,
  type UserDelegationKey,
  type UserDelegationKeyOptions,
} from "./azure.js";
export {
  DEFAULT_GOOGLE_STS_ENDPOINT,
  DEFAULT_IAM_CREDENTIALS_ENDPOINT,
  exchangeForGoogleToken,
  generateServiceAccountAccessToken,
  GOOGLE_CLOUD_PLATFORM_SCOPE,
  googleStsAudience,
  googleTokenAudience,
  signBlobAsServiceAccount,
  type GoogleStsOptions,
  type ServiceAccountOptions,
} from "./gcp.js";
export { createFederatedCredentials, DEFAULT_SUBJECT, requireOidcProviderFor, type FederatedCredentials, type FederationOptions } from "./federation.js";
