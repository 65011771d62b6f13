/** The real-client matrix: client adapters, a test CA, GDAL helpers, loopback names without /etc/hosts, and the matrix itself. */
export * from "./adapters.js";
export * from "./gdal.js";
export * from "./loopback.js";
export * from "./loopback-proxy.js";
export * from "./matrix.js";
export * from "./tls.js";
export * from "./tools.js";
