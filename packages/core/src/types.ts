/**
 * The small types that every part of Multistore shares, by subject: access (configuration shapes, registries,
 * identities, operations) and the backend contract with the results a runtime executes.
 */
export * from "./types/access.js";
export * from "./types/backend.js";
export * from "./types/transport.js";
