/** The site's navigation bar and sidebar. Links are site paths (see config.mts: the guide's pages live at the root). */
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

const PACKAGES = [
  "core",
  "config",
  "backend-s3",
  "backend-azure",
  "backend-gcs",
  "backend-fs",
  "backend-r2",
  "sts",
  "oidc-provider",
  "node",
  "fetch",
  "lambda",
  "metering",
  "path-mapping",
  "testing",
];

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
