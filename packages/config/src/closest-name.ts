/** "Did you mean" suggestions for misspelt names (options, backend types). */

/** Edit distance (insertions, deletions, substitutions) between two short names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name closest to `name`, when it is close enough to be a likely misspelling (at most a third of its
 * length away, and at most 4 edits); undefined otherwise.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(4, Math.ceil(name.length / 3));
  for (const candidate of known) {
    const edits = distance(name.toLowerCase(), candidate);
    if (edits <= bestDistance && (best === undefined || edits < bestDistance)) {
      best = candidate;
      bestDistance = edits;
    }
  }
  return best;
}
