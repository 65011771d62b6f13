/**
 * Heading ids as GitHub makes them. The site renders the repository's own Markdown (README.md, docs/, the package
 * READMEs), whose links were written for GitHub (`README.md#backend-options`): with the same ids they work here too.
 */

// GitHub keeps letters, marks, digits, connector punctuation ("_"), "-" and spaces, and drops everything else.
const DROPPED = /[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu;

/**
 * The id GitHub gives a heading whose text (code spans included, markup left out) is `text`.
 *
 * @param text the heading's text
 * @returns the id, before de-duplication (GitHub and markdown-it-anchor both append `-1`, `-2`, ... to repeats)
 */
export function githubSlug(text: string): string {
  return text.trim().toLowerCase().replace(DROPPED, "").replace(/ /g, "-");
}
