/**
 * The options of backend_type = s3: names, aliases, what is required and how values are checked. The
 * config package validates configs, redacts secrets and writes the editor JSON Schema from these rules; the
 * backend's own validator (when it is built) checks the rest.
 */
import { ALLOW_HTTP_OPTION, AUTH_TYPE_OPTION, type BackendOptionRules, OIDC_SUBJECT_OPTION, SKIP_SIGNATURE_OPTION, withAliases } from "@multistore/core/backend";

/** The options of backend_type = s3. */
export const S3_OPTION_RULES: BackendOptionRules = {
  bucket_name: { description: "Name of the bucket on the backend.", required: true, aliases: ["aws_bucket", "aws_bucket_name", "bucket"] },
  region: { description: "Region of the bucket, e.g. us-west-2 (default us-east-1).", aliases: ["aws_region", "aws_default_region"] },
  endpoint: {
    description: "Endpoint URL of an S3-compatible service (addressed path-style); derived from the region when absent.",
    kind: "url",
    aliases: ["aws_endpoint", "aws_endpoint_url", "endpoint_url"],
  },
  access_key_id: { description: "Access key id for the backend.", requires: ["secret_access_key"], aliases: ["aws_access_key_id"] },
  secret_access_key: { description: "Secret key for the backend.", secret: true, requires: ["access_key_id"], aliases: ["aws_secret_access_key"] },
  skip_signature: withAliases(SKIP_SIGNATURE_OPTION, "aws_skip_signature"),
  force_path_style: { description: 'Use path-style URLs ("true"; the default for endpoints other than AWS\'s).', kind: "boolean" },
  virtual_hosted_style_request: {
    description: 'Address the bucket as bucket.endpoint ("true", even on a custom endpoint) or path-style ("false").',
    kind: "boolean",
    aliases: ["aws_virtual_hosted_style_request"],
  },
  allow_http: withAliases(ALLOW_HTTP_OPTION, "aws_allow_http"),
  auth_type: AUTH_TYPE_OPTION,
  oidc_role_arn: {
    description: 'ARN of the role assumed with the proxy\'s OIDC token (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
  },
  oidc_subject: OIDC_SUBJECT_OPTION,
  sts_endpoint: { description: "STS endpoint URL used for AssumeRoleWithWebIdentity (https, or http on loopback).", kind: "secure_url" },
  session_token: {
    description: "Session token of temporary backend credentials.",
    secret: true,
    requires: ["access_key_id"],
    aliases: ["aws_session_token", "aws_token", "token"],
  },
  presign_ttl_secs: { description: "Lifetime of presigned backend URLs in seconds (default 300)." },
  user_agent: { description: "User-Agent of backend requests (default multistore/<version>)." },
};
