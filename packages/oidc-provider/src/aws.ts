/**
 * AWS: `AssumeRoleWithWebIdentity` (STS Query API, version 2011-06-15). An unsigned form POST carrying the proxy's
 * token; the XML answer holds temporary credentials (AccessKeyId, SecretAccessKey, SessionToken, Expiration).
 */
import { childElement, childText, parseXml, type XmlElement } from "@multistore/core/backend";
import { FederationError, form, post, type HttpOptions } from "./http.js";

/** Default STS endpoint (the global one; regional endpoints work too). */
export const DEFAULT_STS_ENDPOINT = "https://sts.amazonaws.com/";
/** Audience of the tokens the proxy presents to AWS STS (the client id registered with the IAM OIDC provider). */
export const AWS_AUDIENCE = "sts.amazonaws.com";

const STEP = "STS AssumeRoleWithWebIdentity";

/** What `assumeRoleWithWebIdentity` takes. */
export interface AssumeRoleWithWebIdentityOptions extends HttpOptions {
  /** STS endpoint (default `https://sts.amazonaws.com/`). */
  endpoint?: string;
  /** ARN of the role to assume. */
  roleArn: string;
  /** Session name (2-64 characters of `[\w+=,.@-]`); see `roleSessionNameFor`. */
  roleSessionName: string;
  /** The proxy's JWT. */
  webIdentityToken: string;
  /** Session duration in seconds (900..43200; default 3600). */
  durationSeconds?: number;
}

/** Temporary AWS credentials. */
export interface AwsTemporaryCredentials {
  /** Access key id (`ASIA...`). */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Session token, sent as `X-Amz-Security-Token`. */
  sessionToken: string;
  /** When the credentials stop working. */
  expiration: Date;
}

/** A RoleSessionName derived from a subject: disallowed characters become `-`, cut to 64, padded to 2. */
export function roleSessionNameFor(subject: string): string {
  const name = subject.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  return name.length >= 2 ? name : `${name}--`.slice(0, 2);
}

function text(element: XmlElement | undefined, name: string): string | undefined {
  return element ? childText(element, name)?.trim() : undefined;
}

/**
 * Exchanges the proxy's token for temporary credentials of `roleArn`.
 *
 * @throws FederationError naming the STS error code (`AccessDenied`, `InvalidIdentityToken`, ...), an HTTP status,
 *   a malformed answer, or no answer
 */
export async function assumeRoleWithWebIdentity(options: AssumeRoleWithWebIdentityOptions): Promise<AwsTemporaryCredentials> {
  const endpoint = options.endpoint ?? DEFAULT_STS_ENDPOINT;
  const body = form({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: options.roleArn,
    RoleSessionName: options.roleSessionName,
    WebIdentityToken: options.webIdentityToken,
    DurationSeconds: String(options.durationSeconds ?? 3600),
  });
  const answer = await post(STEP, endpoint, { "content-type": "application/x-www-form-urlencoded; charset=utf-8", accept: "application/xml" }, body, options);
  let root: XmlElement | undefined;
  try {
    root = parseXml(answer.text);
  } catch {
    root = undefined;
  }
  if (answer.status !== 200 || root?.name === "ErrorResponse") {
    const error = root ? childElement(root, "Error") : undefined;
    const code = text(error, "Code");
    const message = text(error, "Message") ?? answer.text.slice(0, 200);
    throw new FederationError(STEP, code ?? `HTTP ${answer.status}`, message || `HTTP ${answer.status}`, { status: answer.status });
  }
  const result = root ? childElement(root, "AssumeRoleWithWebIdentityResult") : undefined;
  const credentials = result ? childElement(result, "Credentials") : undefined;
  const accessKeyId = text(credentials, "AccessKeyId");
  const secretAccessKey = text(credentials, "SecretAccessKey");
  const sessionToken = text(credentials, "SessionToken");
  const expiration = new Date(text(credentials, "Expiration") ?? "");
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiration.getTime())) {
    throw new FederationError(STEP, "a malformed response", "no complete Credentials element (AccessKeyId, SecretAccessKey, SessionToken, Expiration)", {
      status: answer.status,
    });
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration };
}
