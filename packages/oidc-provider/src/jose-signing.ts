/**
 * The parts of jose that the provider's keys and tokens use, imported on first use. Naming them here (not importing
 * jose's namespace) keeps a Worker bundle's tree-shaking: only these and what they need.
 */
export { calculateJwkThumbprint, exportJWK, importPKCS8, SignJWT } from "jose";
