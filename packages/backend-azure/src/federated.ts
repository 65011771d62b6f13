/** What both builds take for `auth_type = "oidc"` (Microsoft Entra workload identity federation). */
import type { UserDelegationKeyProvider } from "./user-delegation-sas.js";

/** The federated credentials a runtime passes to an `auth_type = "oidc"` backend. */
export interface FederatedAzureExtras {
  /**
   * With `auth_type = "oidc"`: a user delegation key of the federated identity (Get User Delegation Key, cached and
   * renewed by the caller); every SAS URL is signed with it.
   */
  userDelegationKey?: UserDelegationKeyProvider;
}

/** The extra, or the error that says how to provide it. */
export function requireFederation<T>(value: T | undefined, name: string): T {
  if (value === undefined) {
    throw new Error(
      `auth_type = "oidc" needs federated credentials for backend_type = az (${name}): set OIDC_PROVIDER_KEY and OIDC_PROVIDER_ISSUER so the proxy exchanges its own token with Microsoft Entra`,
    );
  }
  return value;
}
