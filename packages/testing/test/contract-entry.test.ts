/**
 * `@multistore/testing/contract` stays light: following its imports from the built entry reaches no emulator, no
 * S3 server and no AWS SDK, only vitest, core and Node built-ins.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const dist = join(import.meta.dirname, "../dist");

/** Bare specifiers imported by `file` and every relative module it reaches. */
function bareImports(file: string, seen = new Set<string>()): Set<string> {
  const bare = new Set<string>();
  if (seen.has(file)) return bare;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
    const specifier = match[1] ?? match[2]!;
    if (specifier.startsWith(".")) for (const name of bareImports(resolve(dirname(file), specifier), seen)) bare.add(name);
    else bare.add(specifier);
  }
  return bare;
}

describe("@multistore/testing/contract", () => {
  it("imports only vitest, @multistore/core and Node built-ins", () => {
    const imported = [...bareImports(join(dist, "contract.js"))];
    expect(imported.length).toBeGreaterThan(0);
    // (`@multistore/core/backend` is the same package: a backend under test depends on it already.)
    expect(imported.filter((name) => !(name === "vitest" || name === "@multistore/core" || name === "@multistore/core/backend" || name.startsWith("node:")))).toEqual([]);
    // The main entry, by contrast, brings the emulators and the SDK.
    expect([...bareImports(join(dist, "index.js"))]).toEqual(expect.arrayContaining(["@aws-sdk/client-s3"]));
  });
});
