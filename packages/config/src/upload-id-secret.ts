/**
 * The secret that binds multipart upload ids to their bucket and key (core's `uploadIdSecret`). Every instance that
 * serves the same clients must derive the same one, with nothing more to configure: SESSION_TOKEN_KEY when the
 * deployment has it (a secret the fleet already shares), else the configuration's own secrets — the keys clients
 * sign with and the backend credentials, which every instance with this configuration has and nobody else should.
 */
import type { MultistoreConfig } from "./types.js";

/** The upload-id secret of a deployment (see the module comment). Never logged. */
export function uploadIdSecretOf(config: MultistoreConfig, sessionTokenKeys: readonly string[] = []): string {
  if (sessionTokenKeys.length > 0) return `session-token-key:${sessionTokenKeys[0]}`;
  return JSON.stringify({
    credentials: config.credentials.map((credential) => [credential.access_key_id, credential.secret_access_key]),
    buckets: config.buckets.map((bucket) => [bucket.name, bucket.backend_type, bucket.backend_options]),
  });
}
