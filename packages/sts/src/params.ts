/** Reading an STS request's parameters: the query string, and a form-encoded POST body. */
import { isS3Error, type GatewayRequest } from "@multistore/core";
import { StsError } from "./errors.js";

/** Largest form body accepted (64 KiB). */
export const MAX_FORM_BYTES = 64 * 1024;

/** Whether the request declares an `application/x-www-form-urlencoded` body. */
export function isFormRequest(request: GatewayRequest<unknown>): boolean {
  const type = request.headers.get("content-type") ?? "";
  return (type.split(";")[0] ?? "").trim().toLowerCase() === "application/x-www-form-urlencoded";
}

/** Query parameters, overridden by the form body's for POSTs with a form body. Throws when the body is over 64 KiB. */
export async function readStsParams(request: GatewayRequest<unknown>, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search);
  if (request.method !== "POST" || !isFormRequest(request)) return params;
  let body: Uint8Array;
  try {
    body = await request.readBody(MAX_FORM_BYTES);
  } catch (error) {
    if (isS3Error(error) && error.code === "EntityTooLarge") {
      throw new StsError("RequestEntityTooLarge", `The request body exceeds ${MAX_FORM_BYTES} bytes.`);
    }
    // The client cut its body short or stopped sending it (IncompleteBody, RequestTimeout): its doing, not a failure
    // of ours to report.
    if (isS3Error(error) && error.status < 500) throw new StsError("InvalidParameterValue", "The request body was cut short or not sent in time.", { cause: error });
    throw error;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new StsError("InvalidParameterValue", "The request body is not valid UTF-8.");
  }
  for (const [name, value] of new URLSearchParams(text)) params.set(name, value);
  return params;
}

/** Named parameters of AssumeRoleWithWebIdentity, validated. */
export interface AssumeRoleParams {
  /** `RoleArn`: a role id, or an ARN whose last path part is a role id. */
  roleArn: string;
  /** `RoleSessionName` (`DEFAULT_SESSION_NAME` when the caller sent none). */
  sessionName: string;
  /** `WebIdentityToken`. */
  token: string;
  /** `DurationSeconds`, when given. */
  durationSeconds?: number;
}

/**
 * The session name of a call that names none. AWS requires RoleSessionName; the original multistore does not, and
 * hand-written calls in its docs leave it out, so it is optional here and this name shows in the assumed-role ARN.
 */
export const DEFAULT_SESSION_NAME = "web-identity";

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === "") throw new StsError("MissingParameter", `The request must contain the parameter ${name}.`);
  return value;
}

/** Validates Action, Version and the AssumeRoleWithWebIdentity parameters. */
export function assumeRoleParams(params: URLSearchParams): AssumeRoleParams {
  const action = params.get("Action");
  if (action === null || action === "") throw new StsError("MissingAction", "The request must contain the parameter Action.");
  if (action !== "AssumeRoleWithWebIdentity") {
    throw new StsError("InvalidAction", `Could not find operation ${action} for version 2011-06-15; only AssumeRoleWithWebIdentity is supported.`);
  }
  const version = params.get("Version");
  if (version !== null && version !== "2011-06-15") {
    throw new StsError("InvalidParameterValue", `Version ${version} is not supported; use 2011-06-15.`);
  }
  // Session policies narrow a session below its role's permissions; taking the call and ignoring them would hand out
  // broader credentials than asked for.
  for (const name of params.keys()) {
    if (name === "Policy" || name.startsWith("PolicyArns.")) {
      throw new StsError("InvalidParameterValue", "Session policies (Policy, PolicyArns) are not supported: a session has its role's scopes. Use a role with narrower scopes.");
    }
  }
  const roleArn = required(params, "RoleArn");
  const sessionName = params.get("RoleSessionName") || DEFAULT_SESSION_NAME;
  const token = required(params, "WebIdentityToken");
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new StsError("InvalidParameterValue", "RoleSessionName must be 2 to 64 characters of letters, digits and +=,.@_-.");
  }
  if (token.length > 20_000) throw new StsError("InvalidParameterValue", "WebIdentityToken is longer than 20000 characters.");
  if (roleArn.length > 2048) throw new StsError("InvalidParameterValue", "RoleArn is longer than 2048 characters.");
  const duration = params.get("DurationSeconds");
  if (duration !== null && !/^\d{1,9}$/.test(duration)) {
    throw new StsError("InvalidParameterValue", "DurationSeconds must be a whole number of seconds.");
  }
  return { roleArn, sessionName, token, ...(duration !== null && { durationSeconds: Number(duration) }) };
}
