/** `loadConfigFile`: a file that is not UTF-8 is refused naming the file, never loaded with its bytes replaced. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@multistore/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../src/load-config.js";

describe("loadConfigFile", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "multistore-load-config-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const bucketToml = (root: Buffer) => Buffer.concat([Buffer.from('[[buckets]]\nname = "files"\nbackend_type = "fs"\nanonymous_access = false\nbackend_options = { root = "'), root, Buffer.from('" }\n')]);

  it("refuses a file that is not UTF-8 (a Latin-1 byte in a path), naming the file", async () => {
    const path = join(directory, "latin1.toml");
    await writeFile(path, bucketToml(Buffer.concat([Buffer.from(join(directory, "data")), Buffer.from([0xe9])])));
    const refused = await loadConfigFile(path).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect(String(refused)).toContain("not valid UTF-8");
    expect(String(refused)).toContain(path);
  });

  it("loads the same file written in UTF-8", async () => {
    const path = join(directory, "utf8.toml");
    await writeFile(path, bucketToml(Buffer.from(join(directory, "dataé"))));
    const config = await loadConfigFile(path);
    expect(config.buckets[0]!.backend_options.root).toBe(join(directory, "dataé"));
  });
});
