/** Programmatic entry of the Multistore Node server (tests and embedding). */
export { createMultistoreServer, type MultistoreServer, type ServerOptions } from "./server.js";
export { createNodeRuntime, createRequestHandler, type HandlerOptions, type NodeRuntime, type NodeRuntimeOptions } from "@multistore/node";
export { createLogger, type Logger } from "./logger.js";
export { loadConfigFile } from "./load-config.js";
export { parseCli, parseListen, type CliOptions } from "./cli-options.js";
export { nodeBackends } from "./backends.js";
