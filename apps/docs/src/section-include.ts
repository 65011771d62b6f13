/**
 * A markdown-it plugin: `<!--@section: /README.md#backend-options level=2 shallow body-->` on a line of its own is
 * replaced by that section of that repository file (see `extractSection`). Pages include the repository's tested
 * Markdown this way instead of copying it, so the site cannot drift from what the tests run.
 *
 * The included text is framed by `<!--@section-start /README.md-->` and `<!--@section-end-->` blocks, which tell
 * the repository-links plugin what the included links are relative to.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { MarkdownRenderer } from "vitepress";
import { codeLines, extractSection, type SectionOptions } from "./markdown-sections.js";

const DIRECTIVE = /^<!--\s*@section:\s*(\S+?)#(\S+)((?:\s+[\w=]+)*)\s*-->[ \t]*$/;

/** The marker opening included text; the path is relative to the repository root. */
export const SECTION_START = /^<!--@section-start (\S+)-->\s*$/;
/** The marker closing included text. */
export const SECTION_END = /^<!--@section-end-->\s*$/;

/** Options of `sectionIncludePlugin`. */
export interface SectionIncludeOptions {
  /** The repository's root directory: `/README.md` in a directive is that directory's README.md. */
  repositoryRoot: string;
}

/**
 * Installs the `@section` directive.
 *
 * @param md the site's markdown-it instance
 * @param options the repository root
 */
export function sectionIncludePlugin(md: MarkdownRenderer, options: SectionIncludeOptions): void {
  if (!isAbsolute(options.repositoryRoot)) throw new Error(`repositoryRoot must be absolute: ${options.repositoryRoot}`);
  md.core.ruler.before("normalize", "section-include", (state) => {
    const page = pageFile(state.env, options.repositoryRoot);
    state.src = expandSections(state.src, page, options.repositoryRoot);
  });
}

/**
 * `markdown` with every `@section` directive replaced by the section it names.
 *
 * @param markdown a page's Markdown
 * @param page the page's file, which relative directive paths are relative to
 * @param repositoryRoot the directory `/` stands for in directive paths
 * @throws Error naming the page when a file or a heading is missing, or a directive's option is unknown
 */
export function expandSections(markdown: string, page: string, repositoryRoot: string): string {
  const lines = markdown.split("\n");
  // A directive shown in a code block (documentation of the directive itself) stays as it is.
  const code = codeLines(lines);
  return lines.map((line, index) => (code[index] ? line : expand(line, page, repositoryRoot))).join("\n");
}

function expand(line: string, page: string, repositoryRoot: string): string {
  // A misspelt directive would otherwise stay an HTML comment, which Vue leaves out of the page without a word.
  if (/^\s*<!--\s*@section\b/.test(line) && !DIRECTIVE.test(line)) {
    throw new Error(`${relative(repositoryRoot, page)}: malformed directive ${line.trim()} (<!--@section: /path.md#heading-id options-->)`);
  }
  return line.replace(DIRECTIVE, (_directive, path: string, id: string, flags: string) => {
    const file = path.startsWith("/") ? join(repositoryRoot, path) : resolve(page, "..", path);
    const where = `@section ${path}#${id} in ${relative(repositoryRoot, page)}`;
    let source: string;
    try {
      source = readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`${where}: cannot read ${file}`, { cause: error });
    }
    let section: string;
    try {
      section = extractSection(source, id, sectionOptions(flags));
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
    // Blank lines around the markers make each one an HTML block of its own, outside any paragraph or list.
    return `<!--@section-start ${relative(repositoryRoot, file)}-->\n\n${section}\n\n<!--@section-end-->\n`;
  });
}

function sectionOptions(flags: string): SectionOptions {
  const options: SectionOptions = {};
  for (const flag of flags.trim().split(/\s+/).filter(Boolean)) {
    const [name, value] = flag.split("=");
    if (name === "shallow" && value === undefined) options.shallow = true;
    else if (name === "body" && value === undefined) options.body = true;
    else if (name === "level" && value !== undefined && /^[1-6]$/.test(value)) options.level = Number(value);
    else throw new Error(`unknown option "${flag}" (known: level=1..6, shallow, body)`);
  }
  return options;
}

/**
 * The Markdown file being rendered: VitePress names it `realPath` when it renders a page (where `path` is the page's
 * rewritten place) and `path` when it renders one for the search index.
 *
 * @param env markdown-it's environment of the render
 * @param repositoryRoot the fallback's directory, for a render of text that is no file
 */
export function pageFile(env: unknown, repositoryRoot: string): string {
  const { realPath, path } = (env ?? {}) as { realPath?: unknown; path?: unknown };
  if (typeof realPath === "string") return realPath;
  return typeof path === "string" ? path : join(repositoryRoot, "page.md");
}
