/** The `[[rate_limits]]`, `[[quotas]]`, `[metering]` and `[path_mapping]` sections: defaults, and errors naming fields. */
import { describe, expect, it } from "vitest";
import { isConfigError, parseConfig, parseTomlConfig } from "./index.js";

function issues(value: unknown): string[] {
  try {
    parseConfig(value, { onWarning: () => {} });
  } catch (error) {
    if (isConfigError(error)) return error.issues.map((issue) => issue.message);
    throw error;
  }
  return [];
}

describe("metering and path mapping sections", () => {
  it("load from TOML with their defaults", () => {
    const config = parseTomlConfig(
      [
        '[[rate_limits]]\nscope = "source_ip"\nrequests = 50\n',
        '[[quotas]]\nscope = "principal"\nprincipal = "alice"\nbytes = 1_000_000\nwindow_secs = 86400\n',
        '[metering]\nstore = "redis"\nredis_url = "redis://127.0.0.1:6379"\n',
        "[path_mapping]\nbucket_segments = 2\n",
      ].join("\n"),
    );
    expect(config.rate_limits).toEqual([{ scope: "source_ip", requests: 50, window_secs: 1 }]);
    expect(config.quotas).toEqual([{ scope: "principal", principal: "alice", bytes: 1_000_000, window_secs: 86400, direction: "total" }]);
    expect(config.metering).toEqual({ store: "redis", redis_url: "redis://127.0.0.1:6379", redis_cluster: false, key_prefix: "multistore", timeout_ms: 250, on_store_error: "allow" });
    expect(config.path_mapping).toEqual({ bucket_segments: 2, separator: ":" });
  });

  it("name each bad field", () => {
    expect(
      issues({
        rate_limits: [{ scope: "ip", requests: 0 }],
        quotas: [{ scope: "bucket", bytes: 10 }],
        metering: { store: "postgres", on_store_error: "maybe", redis_cluster: "yes" },
        path_mapping: { bucket_segments: 1, separator: "/" },
      }),
    ).toEqual([
      'rate_limits[0].scope: "ip" is not an allowed value (expected one of: bucket, principal, source_ip)',
      "rate_limits[0].requests must be at least 1 (got 0)",
      "quotas[0].window_secs is required",
      'metering.store: "postgres" is not an allowed value (expected one of: memory, redis, durable_object)',
      'metering.on_store_error: "maybe" is not an allowed value (expected one of: allow, refuse)',
      "metering.redis_cluster must be true or false (got a string)",
      "path_mapping.bucket_segments must be between 2 and 8 (got 1)",
      'path_mapping.separator: "/" is not a separator of 1 to 4 of ":", ".", "_" and "-"',
    ]);
  });

  it("refuse a principal filter on a source_ip rule, and warn of a bucket filter naming no configured bucket", () => {
    const warnings: string[] = [];
    const document = { buckets: [{ name: "data", backend_type: "fs", anonymous_access: true, backend_options: { root: "/tmp" } }], rate_limits: [{ scope: "bucket", bucket: "dat", requests: 5 }] };
    parseConfig(document, { onWarning: (message) => warnings.push(message) });
    expect(warnings).toEqual(['rate_limits[0].bucket: "dat" is not a configured bucket; the rule applies only if a registry serves it']);
    expect(issues({ quotas: [{ scope: "source_ip", principal: "alice", bytes: 5, window_secs: 60 }] })).toEqual([
      'quotas[0].principal: a source_ip rule counts anonymous callers, who have no principal; use scope = "principal"',
    ]);
  });
});
