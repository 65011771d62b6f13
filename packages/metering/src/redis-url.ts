/**
 * A Redis URL checked before anything connects with it: ioredis reads a malformed one loosely (a database `/abc`
 * becomes `SELECT NaN`, sent once connected, whose error nothing catches; port 99999 or a bad `%` escape throw only
 * when the client is built, long after a server reported its config good).
 */

/** Throws an Error saying what is wrong with `url` (never repeating it: it may hold a password). */
export function checkRedisUrl(url: string, cluster = false): void {
  if (!/^rediss?:\/\//.test(url)) throw new Error("must be a redis:// or rediss:// URL");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("is not a valid URL (host, port 1 to 65535, percent-encoded user and password)");
  }
  if (parsed.hostname === "") throw new Error("names no host");
  if (parsed.port === "0") throw new Error("names port 0 (a port is 1 to 65535)");
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    throw new Error("has a user or password with a malformed percent-encoding");
  }
  if (parsed.search !== "" || parsed.hash !== "") throw new Error("must not have a query or fragment (options go in [metering])");
  const database = parsed.pathname.replace(/^\//, "");
  if (database === "") return;
  if (cluster && database !== "0") throw new Error("names a database, but a Redis Cluster has database 0 only (no /N in the URL)");
  // Redis numbers its databases from 0 (16 of them unless `databases` says more).
  if (!/^\d{1,5}$/.test(database)) throw new Error(`names database "${database}", which is not a number (redis://host:port/N)`);
}
