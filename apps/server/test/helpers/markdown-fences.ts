/**
 * The one reader of fenced code blocks that the README tests share (apps/server's runs and checks the Node-side
 * examples and every config block; apps/worker's type-checks the Worker-side examples), so that a fence one of them
 * reads is a fence all of them read. Plain string work, no Node API: apps/worker's tests type-check with the workers
 * types.
 */

/** A fenced block of a document. */
export interface FencedBlock {
  /** Where it is, `file:line` (the line of the opening fence). */
  where: string;
  /** Its language (`toml`, `json`, ...), empty when the fence names none. */
  lang: string;
  /** Its text, indentation of the fence removed. */
  text: string;
  /** Why it is not a whole configuration, from `<!-- fragment: why -->` on the line before the fence. */
  fragment?: string;
}

/** Marks the next block as deliberately partial; the reason is required, and shown when the test skips it. */
const FRAGMENT_MARK = /<!--\s*fragment:\s*(.*?)\s*-->\s*$/;

/**
 * The fenced blocks of a Markdown document, in order. Fences may be indented (e.g. in a list item; the closing one
 * at the same indentation) and carry an info string after the language (`json title=config.json`). `file` only
 * names the blocks (`where`).
 */
export function fencedBlocks(file: string, markdown: string): FencedBlock[] {
  return [...markdown.matchAll(/^( *)```([\w-]*)[^\n]*\n([\s\S]*?)^\1```[ \t]*$/gm)].map((match) => {
    const indent = match[1]!;
    const before = markdown.slice(0, match.index).replace(/\n$/, "");
    const previousLine = before.slice(before.lastIndexOf("\n") + 1);
    return {
      where: `${file}:${before.split("\n").length + 1}`,
      lang: match[2]!,
      text: match[3]!.split("\n").map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)).join("\n"),
      fragment: FRAGMENT_MARK.exec(previousLine)?.[1],
    };
  });
}

/** The texts of the blocks of language `lang` (```ts, ```toml, ...) in a Markdown document, in order. */
export function blocksOf(markdown: string, lang: string): string[] {
  return fencedBlocks("", markdown)
    .filter((block) => block.lang === lang)
    .map((block) => block.text);
}
