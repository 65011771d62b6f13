// Generated from ConfigSchema (schema.ts) by validation-schema.test.ts: do not edit. After a schema change, run
// `pnpm exec vitest run -u src/validation-schema.test.ts` in packages/config to rewrite it.
import type { SchemaNode } from "./check-schema.js";

/** ConfigSchema as plain data with the hints of its messages: what `parseConfig` validates against. */
export const CONFIG_VALIDATION_SCHEMA: SchemaNode = {
  "type": "object",
  "properties": {
    "$schema": {
      "type": "string"
    },
    "owner_id": {
      "type": "string",
      "minLength": 1,
      "default": "multistore-proxy"
    },
    "owner_display_name": {
      "type": "string",
      "minLength": 1,
      "default": "multistore-proxy"
    },
    "buckets": {
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "name",
          "backend_type",
          "anonymous_access"
        ],
        "properties": {
          "name": {
            "type": "string",
            "minLength": 3,
            "maxLength": 255,
            "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]*$",
            "hint": "a valid bucket name (3-255 characters: letters, digits, \".\", \"_\", \"-\" and \":\", starting with a letter or digit; 3-63 lowercase letters, digits, \".\" and \"-\" for virtual-hosted style)"
          },
          "backend_type": {
            "type": "string",
            "minLength": 1
          },
          "backend_prefix": {
            "type": "string"
          },
          "anonymous_access": {
            "type": "boolean"
          },
          "allowed_roles": {
            "type": "array",
            "items": {
              "type": "string",
              "minLength": 1
            },
            "default": []
          },
          "backend_options": {
            "type": "object",
            "patternProperties": {
              "^.*$": {
                "anyOf": [
                  {
                    "type": "string"
                  },
                  {
                    "type": "number"
                  },
                  {
                    "type": "boolean"
                  }
                ]
              }
            },
            "default": {}
          },
          "cors_rules": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "allowed_origins",
                "allowed_methods"
              ],
              "properties": {
                "allowed_origins": {
                  "type": "array",
                  "items": {
                    "type": "string",
                    "minLength": 1
                  },
                  "minItems": 1
                },
                "allowed_methods": {
                  "type": "array",
                  "items": {
                    "enum": [
                      "GET",
                      "PUT",
                      "POST",
                      "DELETE",
                      "HEAD"
                    ],
                    "hint": "an HTTP method (GET, PUT, POST, DELETE or HEAD)"
                  },
                  "minItems": 1
                },
                "allowed_headers": {
                  "type": "array",
                  "items": {
                    "type": "string",
                    "minLength": 1
                  }
                },
                "expose_headers": {
                  "type": "array",
                  "items": {
                    "type": "string",
                    "minLength": 1
                  }
                },
                "max_age_secs": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "additionalProperties": false
            }
          }
        },
        "additionalProperties": false
      },
      "default": []
    },
    "roles": {
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "role_id",
          "name"
        ],
        "properties": {
          "role_id": {
            "type": "string",
            "minLength": 1
          },
          "name": {
            "type": "string",
            "minLength": 1
          },
          "trusted_oidc_issuers": {
            "type": "array",
            "items": {
              "type": "string",
              "minLength": 1,
              "pattern": "^https?://",
              "hint": "an OIDC issuer URL (https://...)"
            },
            "default": []
          },
          "required_audiences": {
            "anyOf": [
              {
                "type": "string"
              },
              {
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            ]
          },
          "required_audience": {
            "type": "string"
          },
          "subject_conditions": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "default": []
          },
          "max_session_duration_secs": {
            "type": "integer",
            "default": 3600
          },
          "allowed_scopes": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "bucket",
                "actions"
              ],
              "properties": {
                "bucket": {
                  "type": "string",
                  "minLength": 1
                },
                "prefixes": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  },
                  "default": []
                },
                "actions": {
                  "type": "array",
                  "items": {
                    "enum": [
                      "get_object",
                      "get_object_version",
                      "head_object",
                      "put_object",
                      "delete_object",
                      "list_bucket",
                      "create_multipart_upload",
                      "upload_part",
                      "complete_multipart_upload",
                      "abort_multipart_upload"
                    ],
                    "hint": "an action"
                  }
                }
              },
              "additionalProperties": false
            },
            "default": []
          }
        },
        "additionalProperties": false
      },
      "default": []
    },
    "credentials": {
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "access_key_id",
          "secret_access_key",
          "principal_name",
          "created_at",
          "enabled",
          "allowed_scopes"
        ],
        "properties": {
          "access_key_id": {
            "type": "string",
            "minLength": 1,
            "pattern": "^[^\\s/]+$",
            "hint": "a valid access key id (no whitespace or \"/\")"
          },
          "secret_access_key": {
            "type": "string",
            "minLength": 1
          },
          "principal_name": {
            "type": "string",
            "minLength": 1
          },
          "created_at": {
            "type": "string",
            "format": "date-time",
            "hint": "an ISO 8601 date-time (e.g. 2024-01-15T00:00:00Z)"
          },
          "expires_at": {
            "type": "string",
            "format": "date-time",
            "hint": "an ISO 8601 date-time (e.g. 2024-01-15T00:00:00Z)"
          },
          "enabled": {
            "type": "boolean"
          },
          "allowed_scopes": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "bucket",
                "actions"
              ],
              "properties": {
                "bucket": {
                  "type": "string",
                  "minLength": 1
                },
                "prefixes": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  },
                  "default": []
                },
                "actions": {
                  "type": "array",
                  "items": {
                    "enum": [
                      "get_object",
                      "get_object_version",
                      "head_object",
                      "put_object",
                      "delete_object",
                      "list_bucket",
                      "create_multipart_upload",
                      "upload_part",
                      "complete_multipart_upload",
                      "abort_multipart_upload"
                    ],
                    "hint": "an action"
                  }
                }
              },
              "additionalProperties": false
            }
          }
        },
        "additionalProperties": false
      },
      "default": []
    },
    "cors_rules": {
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "allowed_origins",
          "allowed_methods"
        ],
        "properties": {
          "allowed_origins": {
            "type": "array",
            "items": {
              "type": "string",
              "minLength": 1
            },
            "minItems": 1
          },
          "allowed_methods": {
            "type": "array",
            "items": {
              "enum": [
                "GET",
                "PUT",
                "POST",
                "DELETE",
                "HEAD"
              ],
              "hint": "an HTTP method (GET, PUT, POST, DELETE or HEAD)"
            },
            "minItems": 1
          },
          "allowed_headers": {
            "type": "array",
            "items": {
              "type": "string",
              "minLength": 1
            }
          },
          "expose_headers": {
            "type": "array",
            "items": {
              "type": "string",
              "minLength": 1
            }
          },
          "max_age_secs": {
            "type": "integer",
            "minimum": 0
          }
        },
        "additionalProperties": false
      }
    },
    "rate_limits": {
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "scope",
          "requests"
        ],
        "properties": {
          "scope": {
            "enum": [
              "bucket",
              "principal",
              "source_ip"
            ]
          },
          "bucket": {
            "type": "string",
            "minLength": 1
          },
          "principal": {
            "type": "string",
            "minLength": 1
          },
          "id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64
          },
          "requests": {
            "type": "integer",
            "minimum": 1
          },
          "window_secs": {
            "type": "integer",
            "minimum": 1,
            "maximum": 2678400,
            "default": 1
          }
        },
        "additionalProperties": false
      }
    },
    "quotas": {
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "scope",
          "bytes",
          "window_secs"
        ],
        "properties": {
          "scope": {
            "enum": [
              "bucket",
              "principal",
              "source_ip"
            ]
          },
          "bucket": {
            "type": "string",
            "minLength": 1
          },
          "principal": {
            "type": "string",
            "minLength": 1
          },
          "id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64
          },
          "bytes": {
            "type": "integer",
            "minimum": 1
          },
          "window_secs": {
            "type": "integer",
            "minimum": 1,
            "maximum": 2678400
          },
          "direction": {
            "enum": [
              "egress",
              "ingress",
              "total"
            ],
            "default": "total"
          }
        },
        "additionalProperties": false
      }
    },
    "metering": {
      "type": "object",
      "properties": {
        "store": {
          "enum": [
            "memory",
            "redis",
            "durable_object"
          ],
          "default": "memory"
        },
        "redis_url": {
          "type": "string",
          "minLength": 1
        },
        "redis_cluster": {
          "type": "boolean",
          "default": false
        },
        "key_prefix": {
          "type": "string",
          "minLength": 1,
          "default": "multistore"
        },
        "timeout_ms": {
          "type": "integer",
          "minimum": 1,
          "maximum": 60000,
          "default": 250
        },
        "on_store_error": {
          "enum": [
            "allow",
            "refuse"
          ],
          "default": "allow"
        }
      },
      "additionalProperties": false
    },
    "path_mapping": {
      "type": "object",
      "required": [
        "bucket_segments"
      ],
      "properties": {
        "bucket_segments": {
          "type": "integer",
          "minimum": 2,
          "maximum": 8
        },
        "separator": {
          "type": "string",
          "pattern": "^[:._-]{1,4}$",
          "default": ":",
          "hint": "a separator of 1 to 4 of \":\", \".\", \"_\" and \"-\""
        }
      },
      "additionalProperties": false
    }
  },
  "additionalProperties": false
};
