/** The `multistore --help` text (kept apart from the parsing in cli-options.ts). */
import { LOG_LEVELS } from "./logger.js";

/** The `--help` text. */
export const HELP = `Usage: multistore [options]

An S3-compatible gateway. Backends (a bucket's backend_type): s3 (Amazon S3 and S3-compatible stores), az (Azure Blob
Storage), gcs (Google Cloud Storage), fs (a local directory); r2 (a Cloudflare R2 binding) is served by the Worker
only (apps/worker): from here, reach R2 as s3 with its S3 endpoint.

Relative paths (--config, --tls-cert, --tls-key and their variables) are relative to the directory the command was
typed in, also under \`pnpm start\` / \`npm start\` (INIT_CWD). A leading \`--\` is ignored.

Options:
  --config <file>        Config file (TOML, or JSON when it ends in .json)   [env MULTISTORE_CONFIG,
                         default config.toml in the working directory: under \`pnpm start\`, apps/server's own]
  --listen <host:port>   Address to listen on                                [env MULTISTORE_LISTEN, default 0.0.0.0:8080;
                         127.0.0.1:8080 while the config holds the development key MULTISTOREDEVKEY0001]
  --allow-development-key  Listen beyond this machine although the config holds the development key, whose secret
                         is published (refused otherwise, exit code 2)   [env MULTISTORE_ALLOW_DEVELOPMENT_KEY=true]
  --domain <domain>      Serve virtual-hosted style requests for <bucket>.<domain>   [env MULTISTORE_DOMAIN]
  --log-level <level>    ${LOG_LEVELS.join(", ")}   [env MULTISTORE_LOG_LEVEL, default info]
  --tls-cert <file>      PEM certificate: serve HTTPS (needs --tls-key)     [env MULTISTORE_TLS_CERT]
  --tls-key <file>       PEM private key for --tls-cert                      [env MULTISTORE_TLS_KEY]
  --no-server-timing     Leave out the Server-Timing response header         [env MULTISTORE_SERVER_TIMING=false]
  --workers <n>          Worker processes sharing the address; 1 runs one process
                                                     [env MULTISTORE_WORKERS, default: available CPUs]
  --idle-timeout <s>     Cut a peer silent this long mid-body (client or backend)  [env MULTISTORE_IDLE_TIMEOUT, default 30]
  --backend-connect-timeout <s>   Connecting to a backend   [env MULTISTORE_BACKEND_CONNECT_TIMEOUT, default 10]
  --backend-headers-timeout <s>   A backend's answer        [env MULTISTORE_BACKEND_HEADERS_TIMEOUT, default 30]
  --bucket-connections <n>        Backend requests in flight per bucket  [env MULTISTORE_BUCKET_CONNECTIONS, default 64]
  --anonymous-requests-per-address <n>  Anonymous requests in flight per client address, 0 for no cap
                                                     [env MULTISTORE_ANONYMOUS_REQUESTS_PER_ADDRESS, default 32]
  --max-upload-bytes <n>                Largest PutObject / UploadPart body, by declared length (400 EntityTooLarge)
                                                     [env MULTISTORE_MAX_UPLOAD_BYTES, default none]
  --keep-alive-after <s>  A copy or multipart completion still running after this long starts its answer as
                         S3 does: 200, whitespace, then the result or error [env MULTISTORE_KEEP_ALIVE_AFTER, default 10]
  --keep-alive-every <s>  Seconds between the spaces of such an answer    [env MULTISTORE_KEEP_ALIVE_EVERY, default 10]
  --trusted-proxies <list>  Believe X-Forwarded-For from these addresses / CIDR ranges (comma-separated)
                                                     [env MULTISTORE_TRUSTED_PROXIES, default none]
  --registry-url <url>   Ask this HTTP service for buckets, credentials and roles the config file lacks
                         (bearer token from MULTISTORE_REGISTRY_TOKEN)     [env MULTISTORE_REGISTRY_URL]
  --registry-ttl <s>     How long the service's answers are kept           [env MULTISTORE_REGISTRY_TTL, default 60]
  --registry-timeout <s> How long one lookup may take                      [env MULTISTORE_REGISTRY_TIMEOUT, default 5]
  --metrics-listen <host:port>  Serve GET /metrics (Prometheus) on this address, plain HTTP; with several workers,
                         the primary serves their sum. Or set MULTISTORE_METRICS_TOKEN (--workers 1 only):
                         /metrics on the S3 port, bearer token             [env MULTISTORE_METRICS_LISTEN]
  --help                 Show this help
  --version              Show the version

Environment only: SESSION_TOKEN_KEY (base64 of 32 bytes) enables STS (AssumeRoleWithWebIdentity).
Exit codes: 0 stopped (SIGTERM or SIGINT, after draining in-flight requests), 2 bad flags or configuration, 1 other.
`;
