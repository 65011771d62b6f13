/**
 * The documentation site. Its source directory is the repository itself: README.md, docs/ and the package READMEs
 * are pages as they are (the tests run their code blocks), and the guide's pages under apps/docs/pages/ include
 * sections of them (`<!--@section: ...-->`) rather than copies. Nothing is fetched at build or view time: no web
 * fonts from elsewhere, no analytics, a local search index.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vitepress";
import { githubSlug } from "../src/github-slug.js";
import { repositoryLinksPlugin } from "../src/repository-links.js";
import { sectionIncludePlugin } from "../src/section-include.js";
import { nav, sidebar } from "./navigation.mjs";

const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url));
const PAGES = "apps/docs/pages/";

/** A source file's path on the site: the guide's pages live at the root, everything else where it is. */
function sitePath(page: string): string {
  return page.startsWith(PAGES) ? page.slice(PAGES.length) : page;
}

/** The repository on GitHub, as the published packages name it. */
function repositoryUrl(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../../packages/config/package.json", import.meta.url), "utf8")) as {
    repository: { url: string };
  };
  return manifest.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
}

/**
 * Pages outside apps/docs (the READMEs) compile to modules that import `vue`, which pnpm does not make resolvable from
 * there: every page resolves it as VitePress itself does, so that one copy of Vue serves them all.
 */
function vueFromVitepress(): Plugin {
  const vitepress = createRequire(import.meta.url).resolve("vitepress");
  return {
    name: "docs:vue-from-vitepress",
    enforce: "pre",
    resolveId(id) {
      if (id !== "vue" && !id.startsWith("vue/")) return null;
      return this.resolve(id, vitepress, { skipSelf: true });
    },
  };
}

const source = repositoryUrl();

export default defineConfig({
  title: "Multistore",
  description: "An S3-compatible gateway for S3, Azure Blob, Google Cloud Storage, local directories and R2",
  lang: "en",
  srcDir: "../..",
  srcExclude: ["apps/server/data/**", "**/CHANGELOG.md", "**/test/**"],
  rewrites: sitePath,
  cleanUrls: false,
  lastUpdated: false,
  markdown: {
    anchor: { slugify: githubSlug },
    headers: { slugify: githubSlug },
    config(md) {
      sectionIncludePlugin(md, { repositoryRoot });
      repositoryLinksPlugin(md, { repositoryRoot, sourceUrl: `${source}/blob/main`, sitePath });
    },
  },
  themeConfig: {
    nav,
    sidebar,
    outline: { level: [2, 3] },
    search: { provider: "local" },
    socialLinks: [{ icon: "github", link: source }],
    editLink: { pattern: `${source}/edit/main/:path`, text: "Edit this page" },
  },
  vite: { plugins: [vueFromVitepress()] },
});
