/** Formatting of the bench's report: markdown tables and medians. */

/** The median of numbers (NaN for none). */
export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A number with `digits` decimals, or `-`. */
export function fixed(value, digits = 0) {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** Prints a markdown table. */
export function table(title, header, rows) {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

/** A goal line: `met`, `NOT met`, or `n/a` (`met` undefined: this machine cannot show it), with what was measured. */
export function goal(text, met, measured) {
  console.log(`- ${met === undefined ? "n/a    " : met ? "met    " : "NOT met"}  ${text}: ${measured}`);
}
