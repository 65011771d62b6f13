/** A browser as a client of the Node server (the `multistore` CLI, as users run it), on a directory bucket. */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { runBrowserSuite, startCli } from "@multistore/testing";

const cli = join(import.meta.dirname, "..", "dist/cli.js");
const root = mkdtempSync(join(tmpdir(), "multistore-browser-node-"));
const children: ChildProcess[] = [];

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

runBrowserSuite("node server (multistore CLI)", {
  bucket(name) {
    const directory = join(root, name);
    mkdirSync(directory, { recursive: true });
    return { name, backend_type: "fs", backend_options: { root: directory } };
  },
  async start(config) {
    const file = join(root, "config.json");
    writeFileSync(file, JSON.stringify(config));
    const server = await startCli(cli, ["--listen", "127.0.0.1:0", "--workers", "1", "--config", file], { children });
    return {
      endpoint: server.endpoint,
      close: async () => {
        for (const child of children) child.kill("SIGTERM");
      },
    };
  },
});
