/**
 * Sections of a Markdown document, found by the id of their heading: what the site's pages include from the
 * repository's tested sources instead of copying them.
 */
import { githubSlug } from "./github-slug.js";

/** How a section is taken out of its document. */
export interface SectionOptions {
  /** The level the section's heading gets (its sub-headings move with it); default: its own level. */
  level?: number;
  /** Stop at the first heading below the section's own, instead of taking its sub-sections too. */
  shallow?: boolean;
  /** Leave out the section's heading line (the including page has a heading of its own). */
  body?: boolean;
}

interface Heading {
  line: number;
  level: number;
  id: string;
}

const HEADING = /^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^\s*(`{3,}|~{3,})/;

/**
 * Which lines of a document are code: inside a fenced code block, its fences included.
 *
 * @param lines the document's lines
 */
export function codeLines(lines: readonly string[]): boolean[] {
  let fence: string | undefined;
  return lines.map((line) => {
    const fenceMatch = FENCE.exec(line);
    if (fence !== undefined) {
      // A fence closes on a run of its own character at least as long as the opening one, and nothing else.
      if (fenceMatch?.[1]?.startsWith(fence) && line.trim() === fenceMatch[1]) fence = undefined;
      return true;
    }
    if (fenceMatch) fence = fenceMatch[1]!;
    return fenceMatch !== null;
  });
}

/**
 * The ATX headings of a document outside fenced code blocks, with their GitHub ids (repeats numbered).
 *
 * @param lines the document's lines
 */
export function headingsOf(lines: readonly string[]): Heading[] {
  const headings: Heading[] = [];
  const seen = new Map<string, number>();
  const code = codeLines(lines);
  lines.forEach((line, index) => {
    if (code[index]) return;
    const match = HEADING.exec(line);
    if (!match) return;
    const base = githubSlug(headingText(match[2] ?? ""));
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    headings.push({ line: index, level: match[1]!.length, id: count === 0 ? base : `${base}-${count}` });
  });
  return headings;
}

/** A heading's text as GitHub slugs it: link targets, emphasis markers and code backticks left out. */
function headingText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`+/g, "")
    .replace(/(\*\*|__|\*)/g, "");
}

/**
 * The section of `markdown` under the heading whose id is `id`, down to the next heading of the same or a higher
 * level.
 *
 * @param markdown the document
 * @param id the heading's id, as in a link to it (`backend-options`)
 * @param options level, shallow, body
 * @returns the section's Markdown
 * @throws Error when no heading has that id, or `level` is not 1..6
 */
export function extractSection(markdown: string, id: string, options: SectionOptions = {}): string {
  const lines = markdown.split(/\r?\n/);
  const headings = headingsOf(lines);
  const index = headings.findIndex((heading) => heading.id === id);
  const heading = headings[index];
  if (heading === undefined) {
    throw new Error(`no heading with id "${id}" (ids: ${headings.map((each) => each.id).join(", ")})`);
  }
  const level = options.level ?? heading.level;
  if (!Number.isInteger(level) || level < 1 || level > 6) throw new Error(`level must be 1..6, not ${options.level}`);
  const next = headings.slice(index + 1).find((each) => options.shallow === true || each.level <= heading.level);
  const end = next?.line ?? lines.length;
  const shift = level - heading.level;
  const relevelled = new Map(
    headings.filter((each) => each.line >= heading.line && each.line < end).map((each) => [each.line, each.level + shift])
  );
  const section: string[] = [];
  for (let line = heading.line; line < end; line++) {
    const text = lines[line]!;
    const newLevel = relevelled.get(line);
    section.push(newLevel === undefined ? text : text.replace(/^#+/, "#".repeat(Math.min(6, Math.max(1, newLevel)))));
  }
  if (options.body === true) section.shift();
  return section.join("\n").trim();
}
