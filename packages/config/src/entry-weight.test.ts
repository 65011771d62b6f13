/**
 * The root entry parses and validates configurations without TypeBox (several hundred modules on Node): it validates
 * against the plain snapshot. The schemas themselves are `@multistore/config/schema`.
 */
import { describe, expect, it, vi } from "vitest";

const typeboxImports = vi.hoisted(() => ({ count: 0 }));
vi.mock("typebox", async (importOriginal) => {
  typeboxImports.count += 1;
  return importOriginal();
});

describe("the package's entries", () => {
  it("parse a configuration without loading TypeBox; the schema entry loads it", async () => {
    const { parseTomlConfig } = await import("./index.js");
    const config = parseTomlConfig('[[buckets]]\nname = "data"\nbackend_type = "fs"\nanonymous_access = true\nbackend_options = { root = "/srv/data" }\n');
    expect(config.buckets[0]?.name).toBe("data");
    expect(typeboxImports.count).toBe(0);
    const { ConfigSchema } = await import("./schema-entry.js");
    expect(ConfigSchema.type).toBe("object");
    expect(typeboxImports.count).toBe(1);
  });
});
