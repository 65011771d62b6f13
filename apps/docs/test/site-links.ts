/**
 * Checks the links of a built static site: every internal link (a page of the site, with or without `#anchor`)
 * must name a page that exists and, when it has one, an anchor that page has. Links to other hosts are not
 * fetched. Reads the HTML as VitePress writes it (double-quoted attributes).
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** A link that does not resolve. */
export interface BrokenLink {
  /** The page the link is on, relative to the site's root (`guide/x.html`). */
  page: string;
  /** The link as written. */
  href: string;
  /** Why it is broken. */
  reason: string;
}

/** A page of the built site: its ids and its links. */
export interface SitePage {
  ids: Set<string>;
  hrefs: string[];
}

const ORIGIN = "http://site.invalid";

/** Every `.html` file under `directory`, relative to it, with `/` separators. */
export async function htmlFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".html"))
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_entity, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([\da-f]+);/gi, (_entity, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * The ids and the `<a href>` targets of an HTML page.
 *
 * @param html the page
 */
export function parsePage(html: string): SitePage {
  const ids = new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((match) => decodeEntities(match[1]!)));
  const hrefs = [...html.matchAll(/<a\b[^>]*?\shref="([^"]*)"/g)].map((match) => decodeEntities(match[1]!));
  return { ids, hrefs };
}

/**
 * The file of the site a path names: `/x/` is `x/index.html`, `/x` is `x.html` (clean URLs) or `x/index.html`.
 *
 * @param pathname the link's path, decoded
 * @param pages the site's pages
 */
function pageOf(pathname: string, pages: ReadonlyMap<string, SitePage>): string | undefined {
  const path = pathname.replace(/^\//, "");
  const candidates = path === "" || path.endsWith("/") ? [`${path}index.html`] : [path, `${path}.html`, `${path}/index.html`];
  return candidates.find((candidate) => pages.has(candidate));
}

/**
 * The broken internal links of the site built in `directory`.
 *
 * @param directory the built site (VitePress's `.vitepress/dist`)
 * @returns the links that do not resolve (none for a healthy site), and how many internal links were checked
 */
export async function brokenLinks(directory: string): Promise<{ broken: BrokenLink[]; checked: number }> {
  const pages = new Map<string, SitePage>();
  for (const file of await htmlFiles(directory)) pages.set(file, parsePage(await readFile(join(directory, file), "utf8")));
  const broken: BrokenLink[] = [];
  let checked = 0;
  for (const [page, { hrefs }] of pages) {
    for (const href of hrefs) {
      const url = new URL(href, `${ORIGIN}/${page}`);
      // Other hosts, mail and other schemes are not this site's to check.
      if (url.origin !== ORIGIN) continue;
      checked++;
      const target = pageOf(decodeURIComponent(url.pathname), pages);
      if (target === undefined) {
        broken.push({ page, href, reason: `no page ${url.pathname}` });
        continue;
      }
      const anchor = decodeURIComponent(url.hash.slice(1));
      if (anchor !== "" && !pages.get(target)!.ids.has(anchor)) {
        broken.push({ page, href, reason: `${target} has no id "${anchor}"` });
      }
    }
  }
  return { broken, checked };
}
