/** The site's navigation bar and sidebar. Links are site paths (see config.mts: the guide's pages live at the root). */
import { existsSync, readdirSync } from "node:fs";
import type { DefaultTheme } from "vitepress";

const guide: DefaultTheme.SidebarItem[] = [
  { text: "Getting started", link: "/guide/getting-started" },
  { text: "Configuration", link: "/guide/configuration" },
  { text: "Backends", link: "/guide/backends" },
  { text: "Authentication", link: "/guide/authentication" },
  { text: "Clients", link: "/docs/clients" },
  { text: "Extending", link: "/docs/extending" },
  { text: "Runtimes", link: "/guide/runtimes" },
  { text: "Performance", link: "/guide/performance" },
  { text: "Coming from multistore (Rust)", link: "/guide/coming-from-rust" },
];

const reference: DefaultTheme.SidebarItem[] = [
  { text: "Configuration reference", link: "/reference/configuration" },
  { text: "The README, on one page", link: "/README" },
  { text: "The Node server", link: "/apps/server/README" },
  { text: "The Cloudflare Worker", link: "/apps/worker/README" },
  { text: "About this site", link: "/apps/docs/README" },
];

/**
 * Every package with a README, read from packages/ (a new package gets its page in the sidebar without an edit
 * here): core and config first, then the backends, then the rest, each group by name.
 */
function packageNames(): string[] {
  const root = new URL("../../../packages/", import.meta.url);
  const names = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(new URL(`${entry.name}/README.md`, root)))
    .map((entry) => entry.name);
  const group = (name: string) => (name === "core" ? 0 : name === "config" ? 1 : name.startsWith("backend-") ? 2 : 3);
  return names.sort((left, right) => group(left) - group(right) || left.localeCompare(right));
}

const PACKAGES = packageNames();

const packages: DefaultTheme.SidebarItem[] = PACKAGES.map((name) => ({ text: `@multistore/${name}`, link: `/packages/${name}/README` }));

/** The navigation bar. */
export const nav: DefaultTheme.NavItem[] = [
  { text: "Guide", link: "/guide/getting-started" },
  { text: "Configuration reference", link: "/reference/configuration" },
  { text: "Packages", link: "/packages/core/README" },
];

/** One sidebar for every page. */
export const sidebar: DefaultTheme.Sidebar = [
  { text: "Guide", items: guide },
  { text: "Reference", items: reference },
  { text: "Packages", collapsed: true, items: packages },
];
