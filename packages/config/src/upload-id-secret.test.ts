/** uploadIdSecretOf: the same for every instance of a deployment, different across deployments. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "./parse-config.js";
import { uploadIdSecretOf } from "./upload-id-secret.js";

const config = (secret: string) =>
  parseConfig({
    buckets: [{ name: "bucket", backend_type: "fs", anonymous_access: false, backend_options: { root: "/tmp/x" } }],
    credentials: [{ access_key_id: "AKIDUPLOADS000000001", secret_access_key: secret, principal_name: "p", created_at: "2024-01-01T00:00:00Z", enabled: true, allowed_scopes: [{ bucket: "bucket", prefixes: [], actions: ["get_object"] }] }],
  });

describe("uploadIdSecretOf", () => {
  it("is stable for one configuration, changes with its secrets, and prefers SESSION_TOKEN_KEY", () => {
    expect(uploadIdSecretOf(config("secret-one-000000000000000000000000000"))).toBe(uploadIdSecretOf(config("secret-one-000000000000000000000000000")));
    expect(uploadIdSecretOf(config("secret-one-000000000000000000000000000"))).not.toBe(uploadIdSecretOf(config("secret-two-000000000000000000000000000")));
    const withKey = uploadIdSecretOf(config("secret-one-000000000000000000000000000"), ["a2V5"]);
    expect(withKey).toBe(uploadIdSecretOf(config("secret-two-000000000000000000000000000"), ["a2V5"]));
  });
});
