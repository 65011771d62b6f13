/**
 * The options of backend_type = fs (a local directory): names, aliases, what is required and how values are checked. The
 * config package validates configs, redacts secrets and writes the editor JSON Schema from these rules; the
 * backend's own validator (when it is built) checks the rest.
 */
import { type BackendOptionRules } from "@multistore/core/backend";

/** The options of backend_type = fs. */
export const FS_OPTION_RULES: BackendOptionRules = {
  root: {
    description: "Directory holding the bucket's objects; a relative path is relative to the config file.",
    required: true,
    kind: "path",
  },
  temp_max_age_secs: {
    description: "Temp files older than this (left by a crash) are removed by the periodic sweep (default 86400: a day).",
    kind: "seconds",
  },
  multipart_max_age_secs: {
    description: "Multipart uploads started longer ago than this are aborted by the periodic sweep (default 604800: seven days, as S3's AbortIncompleteMultipartUpload rules usually are).",
    kind: "seconds",
  },
  sweep_interval_secs: {
    description: "How often the sweep runs while the server runs (default 3600: hourly).",
    kind: "seconds",
  },
  encrypted_at_rest: {
    description: 'The root is on storage encrypted at rest ("true"; default "false"): writes asking for SSE-S3 (x-amz-server-side-encryption: AES256) are taken, and GetBucketEncryption answers AES256. Otherwise such writes are refused with 501.',
    kind: "boolean",
  },
};
