/** Custom routes checked before S3 parsing (health checks, STS, OIDC discovery, ...). */
import { S3Error } from "./errors.js";
import type { GatewayRequest } from "./s3-request.js";
import type { PlainResponse } from "./types.js";

/** Context a route handler receives. */
export interface RouteContext {
  /** Request id assigned to this request. */
  requestId: string;
  /** Decoded path (without the query). */
  path: string;
  /** The request URL (host from the Host header). */
  url: URL;
}

/**
 * A route. `handler` may return undefined to decline (e.g. `POST /` is STS only when the form body says so), and the
 * request then goes on to the next route and finally to S3.
 */
export interface Route {
  /** HTTP method, or `*` for any. */
  method: string;
  /** Exact path or a pattern matched against the decoded path. */
  path: string | RegExp;
  /** Produces the response. */
  handler(request: GatewayRequest<any>, context: RouteContext): Promise<PlainResponse<never> | undefined> | PlainResponse<never> | undefined;
}

/** Whether any route matches the method and path (checked before building a route context). */
export function hasRoute(routes: readonly Route[], method: string, path: string): boolean {
  for (const route of routes) {
    if (route.method !== "*" && route.method !== method) continue;
    if (typeof route.path === "string" ? route.path === path : route.path.test(path)) return true;
  }
  return false;
}

/** A route context whose `url` is parsed when a handler first reads it; a malformed URL is a 400. */
export function routeContext(requestId: string, path: string, request: GatewayRequest<any>): RouteContext {
  let url: URL | undefined;
  return {
    requestId,
    path,
    get url() {
      if (url === undefined) {
        try {
          url = new URL(request.target, `http://${request.headers.get("host") ?? "localhost"}`);
        } catch {
          throw new S3Error("InvalidRequest", { message: "The request URL is malformed." });
        }
      }
      return url;
    },
  };
}

/** Finds and runs the first route that matches and does not decline. */
export async function runRoutes(
  routes: readonly Route[],
  request: GatewayRequest<any>,
  context: RouteContext,
): Promise<PlainResponse<never> | undefined> {
  for (const route of routes) {
    if (route.method !== "*" && route.method !== request.method) continue;
    const matches = typeof route.path === "string" ? route.path === context.path : route.path.test(context.path);
    if (!matches) continue;
    const response = await route.handler(request, context);
    if (response) return response;
  }
  return undefined;
}

/** A `GET /healthz` route answering `ok`. */
export function healthRoute(path = "/healthz"): Route {
  return {
    method: "GET",
    path,
    handler: () => ({ status: 200, headers: new Headers({ "content-type": "text/plain; charset=utf-8" }), body: "ok\n" }),
  };
}
