/** @multistore/server's version, written from package.json by scripts/write-version.mjs before each build. */
export const VERSION = "0.1.0";
