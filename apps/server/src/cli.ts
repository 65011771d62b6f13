#!/usr/bin/env node
/** `multistore`: starts the server. Exit codes: 0 clean stop, 2 bad flags or config, 1 anything else. */
import { readFileSync } from "node:fs";
import { createSessionTokenSealer, parseSessionTokenKeys } from "@multistore/sts";
import { oidcProviderFromEnv, requireOidcProviderFor, type OidcProvider } from "@multistore/oidc-provider";
import { HELP, parseCli, type CliOptions } from "./cli-options.js";
import { loadConfigFile } from "./load-config.js";
import { createLogger } from "./logger.js";
import { createMultistoreServer } from "./server.js";
import { VERSION } from "./version.js";

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`multistore: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`multistore ${VERSION}\n`);
    return 0;
  }
  const logger = createLogger(options.logLevel);
  let config;
  try {
    config = await loadConfigFile(options.config);
  } catch (error) {
    process.stderr.write(`multistore: invalid configuration\n${(error as Error).message}\n`);
    return 2;
  }
  // SESSION_TOKEN_KEY: base64 of 32 bytes, or a comma-separated list while rotating (the first seals, all unseal).
  const sessionTokenKeys = parseSessionTokenKeys(process.env.SESSION_TOKEN_KEY);
  try {
    if (sessionTokenKeys.length > 0) createSessionTokenSealer({ keys: sessionTokenKeys });
  } catch (error) {
    process.stderr.write(`multistore: ${(error as Error).message}\n`);
    return 2;
  }
  // OIDC_PROVIDER_KEY (PKCS#8 PEM(s) or [{"kid","pem"}]) and OIDC_PROVIDER_ISSUER: the proxy as an OIDC provider.
  let oidcProvider: OidcProvider | undefined;
  try {
    oidcProvider = oidcProviderFromEnv(process.env);
    await oidcProvider?.jwks();
    requireOidcProviderFor(config.buckets, oidcProvider);
  } catch (error) {
    process.stderr.write(`multistore: ${(error as Error).message}\n`);
    return 2;
  }
  const tls = options.tlsCert && options.tlsKey ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) } : undefined;
  const server = createMultistoreServer({
    config,
    logger,
    serverTiming: options.serverTiming,
    sessionTokenKeys,
    ...(oidcProvider && { oidcProvider }),
    ...(options.domain && { domain: options.domain }),
    ...(tls && { tls }),
  });
  const address = await server.listen(options.port, options.host);
  logger.info(
    { address: `${tls ? "https" : "http"}://${address.host}:${address.port}`, buckets: config.buckets.map((bucket) => bucket.name), config: options.config },
    "multistore listening",
  );
  // Whoever waits for this line (a supervisor, a test) gets it now, not with the next batch.
  logger.flush();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down: draining in-flight requests");
      server.close().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  logger.info("stopped");
  logger.flush();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`multistore: ${(error as Error).message ?? error}\n`);
    process.exitCode = 1;
  },
);
