/**
 * The `multistore` CLI as the gateway of a shared client suite (browsers, path mapping): directory buckets under a
 * temporary root, the suite's config written there, one CLI process per start, all removed after the file's tests.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { startCli } from "@multistore/testing";

const cli = join(import.meta.dirname, "..", "..", "dist/cli.js");

/** A runtime for the suites' `{ bucket, start }` contract, serving directory buckets from the CLI. */
export function cliGateway(name: string) {
  const root = mkdtempSync(join(tmpdir(), `multistore-${name}-node-`));
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill("SIGTERM");
    await rm(root, { recursive: true, force: true });
  });
  return {
    bucket(bucketName: string) {
      const directory = join(root, bucketName.replaceAll(":", "-"));
      mkdirSync(directory, { recursive: true });
      return { name: bucketName, backend_type: "fs", backend_options: { root: directory } };
    },
    async start(config: Record<string, unknown>) {
      const file = join(root, "config.json");
      writeFileSync(file, JSON.stringify(config));
      const server = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--config", file], { children });
      return {
        endpoint: server.endpoint,
        close: async () => {
          server.child.kill("SIGTERM");
        },
      };
    },
  };
}
