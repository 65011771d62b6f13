/**
 * The options of backend_type = r2 (a Workers R2 binding): names, aliases, what is required and how values are checked. The
 * config package validates configs, redacts secrets and writes the editor JSON Schema from these rules; the
 * backend's own validator (when it is built) checks the rest.
 */
import { type BackendOptionRules } from "@multistore/core/backend";

/** The options of backend_type = r2. */
export const R2_OPTION_RULES: BackendOptionRules = {
  binding: { description: "Name of the Workers R2 bucket binding.", required: true, kind: "identifier" },
};
