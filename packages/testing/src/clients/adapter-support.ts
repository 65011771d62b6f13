/**
 * What several command-line adapters of the matrix share: the environment that points a Python client (aws-cli,
 * boto3, s3cmd) at the loopback names, and the parsing of listings printed one key per line.
 */
import { pythonLoopbackEnv } from "./loopback.js";
import type { ClientTarget } from "./adapters.js";

/** A Python client's environment for the target's loopback names (virtual-hosted style), or nothing. */
export const pythonEnv = (target: ClientTarget): Record<string, string> => (target.loopbackDomain ? pythonLoopbackEnv(target.loopbackDomain, target.work) : {});

/** Keys one per line (`aws s3 ls --recursive`, `s3cmd ls`): the last field, or what follows the s3:// bucket. */
export function keysFromLines(output: string, pick: (line: string) => string | undefined): string[] {
  return output.split("\n").map((line) => line.trimEnd()).filter(Boolean).map(pick).filter((key): key is string => key !== undefined);
}
