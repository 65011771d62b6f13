/** Cross-checks of `[[rate_limits]]` and `[[quotas]]`: rules that could never apply are errors or warnings. */
import type { ConfigIssue } from "./config-error.js";
import { joinPath } from "./paths.js";

type Entry = Record<string, unknown>;

function rulesOf(value: unknown): (Entry | undefined)[] {
  return Array.isArray(value) ? value.map((entry) => (entry !== null && typeof entry === "object" ? (entry as Entry) : undefined)) : [];
}

/**
 * A `source_ip` rule counts anonymous callers, who have no principal: a `principal` filter on it would make it apply
 * to nothing (an error). A `bucket` filter naming no configured bucket applies only if a registry serves that name
 * (a warning, when the document is a whole configuration).
 */
export function checkLimitRules(checked: Entry, bucketNames: Set<string> | undefined, issues: ConfigIssue[], warnings: string[]): void {
  for (const section of ["rate_limits", "quotas"] as const) {
    rulesOf(checked[section]).forEach((rule, index) => {
      if (rule === undefined) return;
      const path = joinPath(section, index);
      if (rule.scope === "source_ip" && rule.principal !== undefined) {
        const field = joinPath(path, "principal");
        issues.push({ path: field, message: `${field}: a source_ip rule counts anonymous callers, who have no principal; use scope = "principal"` });
      }
      if (bucketNames !== undefined && typeof rule.bucket === "string" && !bucketNames.has(rule.bucket)) {
        warnings.push(`${joinPath(path, "bucket")}: ${JSON.stringify(rule.bucket)} is not a configured bucket; the rule applies only if a registry serves it`);
      }
    });
  }
}
