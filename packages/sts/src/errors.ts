/** STS errors and the XML documents AWS STS answers with. */
import type { PlainResponse } from "@multistore/core";
import { escapeXml, replaceNonXml } from "@multistore/core/backend";

/** AWS STS's XML namespace. */
export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** STS error codes Multistore answers with, and their HTTP status. */
const STATUS = {
  AccessDenied: 403,
  ExpiredTokenException: 400,
  IDPCommunicationError: 400,
  InvalidAction: 400,
  InvalidIdentityToken: 400,
  InvalidParameterValue: 400,
  MissingAction: 400,
  MissingParameter: 400,
  RequestEntityTooLarge: 413,
  InternalFailure: 500,
  ServiceUnavailable: 503,
} as const;

/** A known STS error code. */
export type StsErrorCode = keyof typeof STATUS;

/** An STS failure: rendered as AWS STS's `ErrorResponse` document. Messages never carry secrets or tokens. */
export class StsError extends Error {
  /** The STS error code. */
  readonly code: StsErrorCode;
  /** HTTP status. */
  readonly status: number;
  constructor(code: StsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StsError";
    this.code = code;
    this.status = STATUS[code];
  }
}

/** An STS XML response. */
export function stsXmlResponse(status: number, body: string, requestId: string): PlainResponse<never> {
  return {
    status,
    headers: new Headers({ "content-type": "text/xml", "x-amzn-requestid": requestId }),
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/**
 * Renders an error (an `StsError`, or anything else as a 500 InternalFailure) as STS's error document. Messages may
 * quote the caller's parameters (`Action`, `Version`): what XML cannot carry becomes `?`, or SDKs could not read it.
 */
export function stsErrorResponse(error: unknown, requestId: string): PlainResponse<never> {
  const stsError = error instanceof StsError ? error : new StsError("InternalFailure", "An internal error occurred.", { cause: error });
  const type = stsError.status >= 500 ? "Receiver" : "Sender";
  return stsXmlResponse(
    stsError.status,
    `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${type}</Type><Code>${stsError.code}</Code>` +
      `<Message>${escapeXml(replaceNonXml(stsError.message, () => "?"))}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`,
    requestId,
  );
}
