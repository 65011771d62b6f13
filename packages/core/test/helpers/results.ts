/** What gateway tests unwrap from a result: a complete response, or an executed native operation. */
import type { GatewayResult } from "../../src/index.js";

/** The response of a result the test expects to be answered by the gateway itself. */
export function plain(result: GatewayResult<Uint8Array>) {
  if (result.type !== "response") throw new Error(`expected a response, got ${result.type}`);
  return result.response;
}

/** Runs a native result with no body and resolves to its response. */
export function executed(result: GatewayResult<Uint8Array>) {
  if (result.type !== "native") throw new Error(`expected a native result, got ${result.type}`);
  return result.execute(null, new AbortController().signal);
}
