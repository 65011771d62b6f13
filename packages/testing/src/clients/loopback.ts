/**
 * Virtual-hosted style without /etc/hosts: each client process is told, by its own means, that the matrix's names
 * (`<bucket>.s3.localtest`) are 127.0.0.1. Node clients get an agent `lookup`, Python clients (aws-cli, boto3, s3cmd)
 * a `sitecustomize` that wraps `socket.getaddrinfo`, curl gets `--resolve`; clients with no resolver hook (rclone,
 * GDAL) go through a loopback proxy (see loopback-proxy.ts). Names outside the domain resolve as usual.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Whether `hostname` is `domain` or a name under it. */
export function isLoopbackName(hostname: string, domain: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === domain || name.endsWith(`.${domain}`);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect` options (and so for `http.Agent` / `https.Agent`): names under `domain` are
 * 127.0.0.1, others go to `dns.lookup`. Answers both shapes Node asks for (one address, or `all` for happy eyeballs).
 */
export function loopbackLookup(domain: string): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    if (!isLoopbackName(hostname, domain)) {
      dnsLookup(hostname, options, (error, address, family) => callback(error, address, family));
      return;
    }
    if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
  };
}

/**
 * Python's start-up hook: wraps `socket.getaddrinfo` (which urllib3, http.client and so botocore and s3cmd call) so
 * that names under MULTISTORE_LOOPBACK_DOMAIN are 127.0.0.1, then runs the sitecustomize it shadows (Debian's), if any.
 */
const SITECUSTOMIZE = `import os, socket, sys

_domain = os.environ.get("MULTISTORE_LOOPBACK_DOMAIN", "").lower()
if _domain:
    _getaddrinfo = socket.getaddrinfo

    def _loopback_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str):
            name = name.lower().rstrip(".")
            if name == _domain or name.endswith("." + _domain):
                host = "127.0.0.1"
        return _getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = _loopback_getaddrinfo

def _run_shadowed():
    import importlib.machinery, importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))

_run_shadowed()
`;

/**
 * The environment that makes a Python client resolve names under `domain` to 127.0.0.1: PYTHONPATH to a directory
 * (created under `workDirectory`) holding the `sitecustomize` above, and the domain. Python reads both at start-up.
 */
export function pythonLoopbackEnv(domain: string, workDirectory: string): Record<string, string> {
  const directory = join(workDirectory, "python-loopback");
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "sitecustomize.py"), SITECUSTOMIZE);
  const inherited = process.env.PYTHONPATH;
  return { PYTHONPATH: inherited ? `${directory}:${inherited}` : directory, MULTISTORE_LOOPBACK_DOMAIN: domain };
}

/** curl's `--resolve host:port:127.0.0.1` for a URL whose host is under `domain`; nothing for other URLs. */
export function curlResolveArguments(url: string, domain: string): string[] {
  const parsed = new URL(url);
  if (!isLoopbackName(parsed.hostname, domain)) return [];
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  return ["--resolve", `${parsed.hostname}:${port}:127.0.0.1`];
}
