/**
 * A markdown-it plugin that makes the repository's links work on the site. Its Markdown links to other Markdown
 * files (which are pages here too) and to source files (which are not): a link to a `.md` file becomes the site path
 * of that page, a link to any other file of the repository a link to the file on GitHub, and a link to a file that
 * does not exist fails the build. Links inside an included section (see section-include.ts) are taken relative to
 * the file the section came from.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { MarkdownRenderer } from "vitepress";
import { pageFile, SECTION_END, SECTION_START } from "./section-include.js";

/** Options of `repositoryLinksPlugin`. */
export interface RepositoryLinksOptions {
  /** The repository's root directory (the site's source directory). */
  repositoryRoot: string;
  /** Where files that are not pages are shown, e.g. `https://github.com/owner/name/blob/main`. */
  sourceUrl: string;
  /** A source page's path on the site (the site's rewrites), both relative to the root, e.g. `guide/x.md`. */
  sitePath: (page: string) => string;
}

const SCHEME = /^[a-z][a-z\d+.-]*:|^\/\//i;

/**
 * Installs the link rewriting.
 *
 * @param md the site's markdown-it instance
 * @param options repository root, where source files are shown, the site's rewrites
 */
export function repositoryLinksPlugin(md: MarkdownRenderer, options: RepositoryLinksOptions): void {
  if (!isAbsolute(options.repositoryRoot)) throw new Error(`repositoryRoot must be absolute: ${options.repositoryRoot}`);
  if (!/^https:\/\/\S+[^/]$/.test(options.sourceUrl)) throw new Error(`sourceUrl must be an https URL without a final "/": ${options.sourceUrl}`);
  // Before markdown-it-anchor, whose permalinks (`#id` of the page's own headings) must stay as they are.
  md.core.ruler.before("anchor", "repository-links", (state) => {
    const page = pageFile(state.env, options.repositoryRoot);
    // Included sections do not nest (a directive inside one is plain text by then), so one level is enough.
    let includedFrom: string | undefined;
    for (const token of state.tokens) {
      if (token.type === "html_block") {
        const start = SECTION_START.exec(token.content);
        if (start) includedFrom = join(options.repositoryRoot, start[1]!);
        else if (SECTION_END.test(token.content)) includedFrom = undefined;
        if (start || SECTION_END.test(token.content)) token.content = "";
        continue;
      }
      for (const child of token.children ?? []) {
        const href = child.type === "link_open" ? child.attrGet("href") : null;
        if (href !== null) child.attrSet("href", siteHref(href, includedFrom ?? page, includedFrom !== undefined, options));
      }
    }
  });
}

/**
 * Where a link written in `file` goes on the site.
 *
 * @param href the link as written
 * @param file the Markdown file it was written in
 * @param included whether it is shown on another page than that file's (an included section)
 * @param options repository root, source URL, site paths
 * @throws Error when it names a file outside the repository or one that does not exist
 */
export function siteHref(href: string, file: string, included: boolean, options: RepositoryLinksOptions): string {
  if (SCHEME.test(href)) return href;
  if (href.startsWith("#") && !included) return href;
  const cut = href.search(/[?#]/);
  const path = cut === -1 ? href : href.slice(0, cut);
  const suffix = cut === -1 ? "" : href.slice(cut);
  const target = path === "" ? file : path.startsWith("/") ? join(options.repositoryRoot, path) : resolve(dirname(file), path);
  const inRepository = relative(options.repositoryRoot, target);
  if (inRepository.startsWith("..") || isAbsolute(inRepository)) {
    throw new Error(`${relative(options.repositoryRoot, file)}: the link "${href}" leaves the repository`);
  }
  const slashed = inRepository.split(sep).join("/");
  // Pages: VitePress turns `.md` into `.html` and reports missing pages itself.
  if (slashed.endsWith(".md")) return `/${options.sitePath(slashed)}${suffix}`;
  if (!existsSync(target)) {
    throw new Error(`${relative(options.repositoryRoot, file)}: the link "${href}" names ${slashed}, which does not exist`);
  }
  const kind = statSync(target).isDirectory() ? "tree" : "blob";
  return `${options.sourceUrl.replace(/\/blob\//, `/${kind}/`)}${slashed === "" ? "" : `/${slashed}`}${suffix}`;
}
