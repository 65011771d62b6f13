/** The link checker itself, on a small site made here: it must find what is broken and nothing else. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokenLinks } from "./site-links.js";

let site: string;

beforeAll(async () => {
  site = await mkdtemp(join(tmpdir(), "docs-links-"));
  await mkdir(join(site, "guide"));
  await writeFile(
    join(site, "index.html"),
    [
      '<a href="/guide/a.html#first">ok</a>',
      '<a href="./guide/a.html">ok, relative</a>',
      '<a class="x" href="/guide/a#second">ok, clean URL</a>',
      '<a href="https://example.com/nowhere.html">other host</a>',
      '<a href="mailto:someone@example.com">mail</a>',
      '<a href="/guide/missing.html">missing page</a>',
      '<a href="/guide/a.html#nope">missing anchor</a>',
    ].join("\n")
  );
  await writeFile(
    join(site, "guide", "a.html"),
    '<h2 id="first">First</h2><h2 id="second">Second</h2><a href="../index.html">up</a><a href="#third">missing here</a>'
  );
});

afterAll(async () => {
  if (site) await rm(site, { recursive: true, force: true });
});

describe("brokenLinks", () => {
  it("reports missing pages and missing anchors, and skips other hosts", async () => {
    const { broken, checked } = await brokenLinks(site);
    expect(checked).toBe(7);
    expect(broken).toEqual([
      { page: "guide/a.html", href: "#third", reason: 'guide/a.html has no id "third"' },
      { page: "index.html", href: "/guide/missing.html", reason: "no page /guide/missing.html" },
      { page: "index.html", href: "/guide/a.html#nope", reason: 'guide/a.html has no id "nope"' },
    ]);
  });
});
