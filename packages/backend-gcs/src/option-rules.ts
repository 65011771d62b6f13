/**
 * The options of backend_type = gcs (Google Cloud Storage): names, aliases, what is required and how values are checked. The
 * config package validates configs, redacts secrets and writes the editor JSON Schema from these rules; the
 * backend's own validator (when it is built) checks the rest.
 */
import { AUTH_TYPE_OPTION, type BackendOptionRules, OIDC_SUBJECT_OPTION, SKIP_SIGNATURE_OPTION, withAliases } from "@multistore/core/backend";

/** The options of backend_type = gcs. */
export const GCS_OPTION_RULES: BackendOptionRules = {
  bucket_name: {
    description: "Name of the bucket on Google Cloud Storage.",
    required: true,
    aliases: ["google_bucket", "google_bucket_name", "bucket"],
  },
  service_account_key: {
    description: "Contents of a service account key file (JSON); none: the bucket is read unsigned.",
    kind: "json",
    secret: true,
    aliases: ["google_service_account_key"],
  },
  service_account_path: {
    description:
      "Path of a service account key file, read when the server loads the config (instead of service_account_key; not on the Worker).",
    kind: "path",
    aliases: ["service_account", "google_service_account", "google_service_account_path"],
  },
  skip_signature: withAliases(SKIP_SIGNATURE_OPTION, "google_skip_signature"),
  endpoint: { description: "Endpoint URL (e.g. an emulator); the public endpoint when absent.", kind: "url" },
  auth_type: AUTH_TYPE_OPTION,
  workload_identity_provider: {
    description: 'Full resource name of the workload identity provider (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
  },
  service_account_email: {
    description:
      'Service account impersonated through workload identity federation (auth_type = "oidc"; signs URLs through IAM signBlob). Without it the federated token is used directly (direct resource access).',
  },
  oidc_subject: OIDC_SUBJECT_OPTION,
  sts_endpoint: {
    description: "Google STS token endpoint URL (default https://sts.googleapis.com/v1/token; https, or http on loopback).",
    kind: "secure_url",
  },
  iam_credentials_endpoint: {
    description: "IAM Service Account Credentials API base URL (default https://iamcredentials.googleapis.com; https, or http on loopback).",
    kind: "secure_url",
  },
};
