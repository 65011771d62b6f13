/**
 * The built site (`pnpm --filter docs build`, which turbo runs before this test): every page the guide promises
 * exists, no internal link or anchor is broken, the configuration reference lists every field of the schema, and
 * nothing is loaded from another host.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { brokenLinks, htmlFiles, parsePage } from "./site-links.js";

const DIST = fileURLToPath(new URL("../.vitepress/dist", import.meta.url));
/** The guide's own pages; each is at the same path on the site (see .vitepress/config.mts). */
const PAGES_SOURCE = fileURLToPath(new URL("../pages", import.meta.url));

/** The pages issue #15 lists, and the repository's Markdown that the site renders as it is. */
const PAGES = [
  "index.html",
  "guide/getting-started.html",
  "guide/configuration.html",
  "reference/configuration.html",
  "guide/backends.html",
  "guide/authentication.html",
  "docs/clients.html",
  "docs/extending.html",
  "guide/runtimes.html",
  "guide/performance.html",
  "guide/coming-from-rust.html",
  "README.html",
  "apps/server/README.html",
  "apps/worker/README.html",
  "packages/core/README.html",
  "packages/config/README.html",
  "packages/lambda/README.html",
];

let files: string[];

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the site first (pnpm --filter docs build)`);
  files = await htmlFiles(DIST);
});

/** Every property name in a JSON Schema, backend options of every backend type included. */
function propertyNames(node: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) propertyNames(item, names);
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "properties" && value !== null && typeof value === "object") {
        // `if` conditions name fields too, but only fields that are listed elsewhere.
        for (const name of Object.keys(value)) names.add(name);
      }
      propertyNames(value, names);
    }
  }
  return names;
}

describe("the documentation site", () => {
  it("has every page", () => {
    expect(PAGES.filter((page) => !files.includes(page))).toEqual([]);
  });

  it("has a page, linked from the sidebar, for every package with a README", async () => {
    const packagesRoot = fileURLToPath(new URL("../../../packages", import.meta.url));
    const names = (await readdir(packagesRoot, { withFileTypes: true })).filter((entry) => entry.isDirectory() && existsSync(join(packagesRoot, entry.name, "README.md"))).map((entry) => entry.name);
    expect(names.length).toBeGreaterThan(10);
    const index = await readFile(join(DIST, "packages/core/README.html"), "utf8");
    for (const name of names) {
      expect(files).toContain(`packages/${name}/README.html`);
      expect(index).toContain(`href="/packages/${name}/README`);
    }
  });

  it("has no broken internal link or anchor", async () => {
    const { broken, checked } = await brokenLinks(DIST);
    expect(broken).toEqual([]);
    // Sidebars alone link every page to every other: a handful would mean the links were not found at all.
    expect(checked).toBeGreaterThan(files.length * 20);
  });

  it("shows every section its pages include", async () => {
    const pages = (await readdir(PAGES_SOURCE, { recursive: true })).filter((file) => file.endsWith(".md"));
    let included = 0;
    for (const page of pages) {
      const built = parsePage(await readFile(join(DIST, page.replace(/\.md$/, ".html")), "utf8"));
      for (const [, id, flags] of (await readFile(join(PAGES_SOURCE, page), "utf8")).matchAll(/^<!--@section: \S+#(\S+)(.*)-->$/gm)) {
        // The included heading keeps its text, so its id; a `body` include leaves the heading out.
        if (!flags!.includes("body")) expect(built.ids.has(id!), `${page} shows #${id}`).toBe(true);
        included++;
      }
    }
    expect(included).toBeGreaterThan(10);
  });

  it("lists every field of the configuration's JSON Schema in the reference", async () => {
    const schemaFile = createRequire(import.meta.url).resolve("@multistore/config/schema.json");
    const names = propertyNames(JSON.parse(await readFile(schemaFile, "utf8")));
    const reference = await readFile(join(DIST, "reference/configuration.html"), "utf8");
    expect(names.size).toBeGreaterThan(50);
    expect([...names].filter((name) => !reference.includes(`<code>${name}</code>`))).toEqual([]);
  });

  it("loads nothing from another host (no web fonts, no analytics)", async () => {
    for (const file of files) {
      const html = await readFile(join(DIST, file), "utf8");
      const sources = [...html.matchAll(/<(?:link|script|img|iframe)\b[^>]*?\s(?:href|src)="([^"]*)"/g)].map((match) => match[1]!);
      expect(sources.filter((source) => /^(?:https?:)?\/\//.test(source)), file).toEqual([]);
    }
  });
});
