/** Core's `TemporaryCredentialResolver` over sealed session tokens. */
import { S3Error, type TemporaryCredentialResolver } from "@multistore/core";
import type { SessionTokenSealer } from "./sealer.js";

/** Options of `createSessionTokenResolver`. */
export interface SessionTokenResolverOptions {
  /** Clock in ms, for tests (default `Date.now`). */
  now?: () => number;
}

/**
 * Resolves `x-amz-security-token`s sealed by `sealer`. Tokens that do not unseal (tampered with, sealed with a key
 * this server does not hold, or not ours at all) are refused with 403 InvalidToken; expired ones with ExpiredToken.
 * Core then checks that the request's access key id is the sealed one, verifies the SigV4 signature with the sealed
 * secret, and authorizes with the sealed scopes and role (against buckets' `allowed_roles`).
 */
export function createSessionTokenResolver(sealer: SessionTokenSealer, options: SessionTokenResolverOptions = {}): TemporaryCredentialResolver {
  const now = options.now ?? Date.now;
  return {
    async resolve(sessionToken) {
      const credential = await sealer.unseal(sessionToken);
      if (!credential) {
        throw new S3Error("InvalidToken", { status: 403, message: "The provided token is malformed or otherwise invalid." });
      }
      if (credential.expiresAt.getTime() <= now()) throw new S3Error("ExpiredToken");
      return credential;
    },
  };
}
