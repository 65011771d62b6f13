/** A throwaway certificate authority for HTTPS tests, made with the openssl CLI. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A test CA and one server certificate it signed. Paths are PEM files; `cert`/`key` are their contents. */
export interface TestCa {
  /** The directory holding the files. */
  dir: string;
  /** The CA certificate (what clients trust: AWS_CA_BUNDLE, --ca-bundle, --ca-cert, ca_certs_file, CURL_CA_BUNDLE). */
  caPath: string;
  /** The server certificate (for 127.0.0.1, localhost and the given DNS names). */
  certPath: string;
  /** The server's private key. */
  keyPath: string;
  /** PEM of the server certificate. */
  cert: string;
  /** PEM of the server key. */
  key: string;
  /** PEM of the CA certificate. */
  ca: string;
}

/**
 * Generates a CA (P-256, valid 2 days) and a server certificate signed by it whose subjectAltName covers
 * `IP:127.0.0.1`, `DNS:localhost` and `dnsNames` (wildcards such as `*.s3.localtest` allowed). Needs `openssl`.
 */
export function createTestCa(dnsNames: string[] = [], dir = mkdtempSync(join(tmpdir(), "multistore-test-ca-"))): TestCa {
  const openssl = (args: string[]) => {
    try {
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
      throw new Error(`openssl ${args[0]} failed (is openssl installed? apt-get install -y openssl): ${(error as Error).message}\n${stderr}`);
    }
  };
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[req]", "distinguished_name = dn", "prompt = no", "[dn]", "CN = Multistore Test CA",
      "[ca_ext]", "basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign", "subjectKeyIdentifier = hash",
      "[server_ext]", "basicConstraints = critical,CA:FALSE", "keyUsage = critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage = serverAuth", "subjectKeyIdentifier = hash", "authorityKeyIdentifier = keyid,issuer",
      `subjectAltName = ${["IP:127.0.0.1", "DNS:localhost", ...dnsNames.map((name) => `DNS:${name}`)].join(",")}`,
      "",
    ].join("\n"),
  );
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(["req", "-x509", ...ecKey, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-config", "ca.cnf", "-extensions", "ca_ext"]);
  openssl(["req", "-new", ...ecKey, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ca.cnf", "-extensions", "server_ext"]);
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return {
    dir,
    caPath: join(dir, "ca.pem"),
    certPath: join(dir, "server.pem"),
    keyPath: join(dir, "server.key"),
    cert: read("server.pem"),
    key: read("server.key"),
    ca: read("ca.pem"),
  };
}
