/**
 * The options of backend_type = az (Azure Blob Storage): names, aliases, what is required and how values are checked. The
 * config package validates configs, redacts secrets and writes the editor JSON Schema from these rules; the
 * backend's own validator (when it is built) checks the rest.
 */
import { ALLOW_HTTP_OPTION, AUTH_TYPE_OPTION, type BackendOptionRules, OIDC_SUBJECT_OPTION, SKIP_SIGNATURE_OPTION, withAliases } from "@multistore/core/backend";

/** The options of backend_type = az. */
export const AZURE_OPTION_RULES: BackendOptionRules = {
  account_name: {
    description: 'Storage account name (default with use_emulator = "true": devstoreaccount1).',
    required: true,
    requiredUnless: { option: "use_emulator", value: "true" },
    aliases: ["azure_storage_account_name"],
  },
  container_name: { description: "Blob container name.", required: true, aliases: ["azure_container_name"] },
  access_key: {
    description: "Storage account access key (none: the container is read unsigned).",
    secret: true,
    aliases: ["azure_storage_account_key", "azure_storage_access_key", "azure_storage_master_key", "account_key", "master_key"],
  },
  skip_signature: withAliases(SKIP_SIGNATURE_OPTION, "azure_skip_signature"),
  endpoint: {
    description: "Blob service endpoint URL (e.g. Azurite); derived from the account when absent.",
    kind: "url",
    aliases: ["azure_storage_endpoint", "azure_endpoint"],
  },
  use_emulator: {
    description: 'Use the local Azurite emulator ("true"): endpoint http://127.0.0.1:10000/<account>, its well-known account and key by default.',
    kind: "boolean",
    aliases: ["azure_storage_use_emulator"],
  },
  allow_http: withAliases(ALLOW_HTTP_OPTION, "azure_allow_http"),
  auth_type: AUTH_TYPE_OPTION,
  client_id: {
    description: 'Client id of the app registration trusted for federated credentials (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
    aliases: ["azure_storage_client_id", "azure_client_id"],
  },
  tenant_id: {
    description: 'Directory (tenant) id of that app registration (auth_type = "oidc").',
    requiredWhen: { option: "auth_type", value: "oidc" },
    aliases: ["azure_storage_tenant_id", "azure_storage_authority_id", "azure_tenant_id", "azure_authority_id", "authority_id"],
  },
  oidc_subject: OIDC_SUBJECT_OPTION,
  authority_host: {
    description:
      "Microsoft Entra authority host for the token request (default https://login.microsoftonline.com; sovereign clouds differ; https, or http on loopback).",
    kind: "secure_url",
  },
};
