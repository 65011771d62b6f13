/** Host checks shared by every package that decides where a token or a secret may be sent. */

/**
 * Whether a URL hostname (as `URL.hostname` gives it: IPv6 in brackets) is this machine's loopback: `localhost`,
 * 127.0.0.0/8 or `[::1]`. Plain http is acceptable there only, since nothing crosses a network.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
