/** Where the repository's links go on the site. */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { siteHref } from "../src/repository-links.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const options = {
  repositoryRoot: root,
  sourceUrl: "https://github.com/owner/name/blob/main",
  sitePath: (page: string) => page.replace(/^apps\/docs\/pages\//, ""),
};
const readme = `${root}packages/core/README.md`;

describe("siteHref", () => {
  it("sends links to Markdown files to their pages, rewritten ones included", () => {
    expect(siteHref("../../README.md#configuration", readme, false, options)).toBe("/README.md#configuration");
    expect(siteHref("/apps/docs/pages/guide/backends.md", readme, false, options)).toBe("/guide/backends.md");
  });

  it("sends links to other files of the repository to GitHub", () => {
    expect(siteHref("../config/package.json", readme, false, options)).toBe("https://github.com/owner/name/blob/main/packages/config/package.json");
    expect(siteHref("../../docs", readme, false, options)).toBe("https://github.com/owner/name/tree/main/docs");
  });

  it("keeps an anchor on its page, unless the text was included into another page", () => {
    expect(siteHref("#usage", readme, false, options)).toBe("#usage");
    expect(siteHref("#usage", readme, true, options)).toBe("/packages/core/README.md#usage");
  });

  it("leaves other hosts alone", () => {
    expect(siteHref("https://example.com/a.md", readme, false, options)).toBe("https://example.com/a.md");
  });

  it("fails on a file that does not exist, or outside the repository", () => {
    expect(() => siteHref("../core/src/no-such-file.ts", readme, false, options)).toThrow(/packages\/core\/src\/no-such-file\.ts, which does not exist/);
    expect(() => siteHref("../../../elsewhere.txt", readme, false, options)).toThrow(/leaves the repository/);
  });
});
