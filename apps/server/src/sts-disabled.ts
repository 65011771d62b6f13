/**
 * The STS endpoint of a server without SESSION_TOKEN_KEY. STS clients pointed at such a server would otherwise reach
 * the S3 dispatch (a 404 for `/.sts`, a 405 for `POST /`), which says nothing about STS; they get STS's own error
 * document instead, naming the missing setting.
 */
import type { GatewayRequest, PlainResponse, Route, RouteContext } from "@multistore/core";
import { MAX_FORM_BYTES, StsError, stsErrorResponse } from "@multistore/sts";

/** What STS clients are told. */
export const STS_DISABLED_MESSAGE =
  "STS is disabled on this server: SESSION_TOKEN_KEY is not set. Set it (base64 of 32 bytes: openssl rand -base64 32) and restart to enable AssumeRoleWithWebIdentity.";

/** The error answer. InvalidAction (400): the action is not offered here; a 5xx would make SDKs retry in vain. */
function disabled(context: RouteContext): PlainResponse<never> {
  return stsErrorResponse(new StsError("InvalidAction", STS_DISABLED_MESSAGE), context.requestId);
}

/** Whether the request declares a form body (how STS clients send their parameters). */
function isForm(request: GatewayRequest<unknown>): boolean {
  const type = request.headers.get("content-type") ?? "";
  return (type.split(";")[0] ?? "").trim().toLowerCase() === "application/x-www-form-urlencoded";
}

/**
 * Routes answering where `createStsRoute` would (any method on `path`, default `/.sts`; `POST /` with a form body
 * naming an `Action` and no query string) with an STS `InvalidAction` error saying STS is disabled. Other `POST /`
 * requests are declined and go on to S3, as with STS on.
 */
export function stsDisabledRoutes(path = "/.sts"): Route[] {
  const base = path.replace(/\/+$/, "");
  // As createStsRoute: `/` itself would take every request to the root (ListBuckets).
  if (!base.startsWith("/")) throw new Error(`STS path must start with "/" and not be "/" (got "${path}")`);
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [
    { method: "*", path: new RegExp(`^${escaped}/?$`), handler: (_request, context) => disabled(context) },
    {
      method: "POST",
      path: "/",
      handler: async (request: GatewayRequest<unknown>, context) => {
        // Same test as the enabled route: S3 never posts a form to `/`, and S3 requests with a query keep their body.
        if (!isForm(request) || context.url.search !== "") return undefined;
        let body: Uint8Array;
        try {
          body = await request.readBody(MAX_FORM_BYTES);
        } catch {
          // An oversized form is not S3's either; its sender is told what it would be told with a small one.
          return disabled(context);
        }
        return new URLSearchParams(new TextDecoder().decode(body)).has("Action") ? disabled(context) : undefined;
      },
    },
  ];
}
