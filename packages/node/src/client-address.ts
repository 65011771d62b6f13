/**
 * The client's address: the socket's peer, unless that peer is a proxy the operator trusts, in which case the
 * right-most address in `X-Forwarded-For` that is not itself a trusted proxy. Anything left of that is what the
 * client claimed and is never believed; with no trusted proxies the header is ignored altogether.
 */
import { BlockList, isIP } from "node:net";

/**
 * Resolves the client address of a request. `trustsPeer`, when there: whether a peer is a proxy whose forwarded headers
 * are believed (`X-Forwarded-Proto` for the URLs a form upload's answer names).
 */
export type ClientAddressOf = ((peer: string | undefined, forwardedFor: string | string[] | undefined) => string) & { trustsPeer?: (peer: string | undefined) => boolean };

/** Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`; proxies and operators write `a.b.c.d`. */
function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Parses `--trusted-proxies`: addresses and CIDR ranges, IPv4 or IPv6, separated by commas.
 *
 * @throws Error naming the entry that is neither
 */
export function parseTrustedProxies(value: string): BlockList {
  const list = new BlockList();
  for (const entry of value.split(",").map((part) => part.trim()).filter(Boolean)) {
    const [address, bits, extra] = entry.split("/");
    const family = isIP(address ?? "");
    const prefix = bits === undefined ? undefined : Number(bits);
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128) && /^\d+$/.test(bits!)))) {
      throw new Error(`--trusted-proxies: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, prefix, type);
  }
  return list;
}

/** A resolver trusting `proxies` (none: the socket's peer, always). */
export function clientAddressResolver(proxies: BlockList | undefined): ClientAddressOf {
  const trusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && proxies!.check(address, family === 4 ? "ipv4" : "ipv6");
  };
  const resolve: ClientAddressOf = (peer, forwardedFor) => {
    const direct = plainAddress(peer ?? "");
    if (!proxies || forwardedFor === undefined || !trusted(direct)) return direct;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",").map((hop) => plainAddress(hop.trim()));
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = hops[index]!;
      // A hop that is not an address ends the chain: nothing left of it can be trusted either.
      if (isIP(hop) === 0) return direct;
      if (!trusted(hop)) return hop;
    }
    return hops[0] && isIP(hops[0]) !== 0 ? hops[0] : direct;
  };
  resolve.trustsPeer = (peer) => proxies !== undefined && trusted(plainAddress(peer ?? ""));
  return resolve;
}
