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
  /** Values of the route's `:name` segments (percent-decoded); empty for other routes. */
  params: Record<string, string>;
}

/**
 * A route. `handler` may return undefined to decline (e.g. `POST /` is STS only when the form body says so), and the
 * request then goes on to the next route and finally to S3.
 */
export interface Route {
  /** HTTP method, or `*` for any. */
  method: string;
  /**
   * An exact path (`/healthz`), a path with parameters (`/tiles/:layer/:z`: each `:name` matches one non-empty
   * segment, handed to the handler in `context.params`), or a regular expression. Exact paths win over parameters
   * and expressions, whatever the order routes were given in; otherwise the first match in order.
   */
  path: string | RegExp;
  /** Produces the response. */
  handler(request: GatewayRequest<any>, context: RouteContext): Promise<PlainResponse<never> | undefined> | PlainResponse<never> | undefined;
}

/** A route's path, compiled once: exact, or a pattern with the names of its parameters. */
interface CompiledPath {
  exact: string | undefined;
  pattern: RegExp | undefined;
  names: string[];
}

const compiled = new WeakMap<Route, CompiledPath>();

function compile(route: Route): CompiledPath {
  let found = compiled.get(route);
  if (found) return found;
  const path = route.path;
  if (typeof path !== "string") found = { exact: undefined, pattern: path, names: [] };
  else if (!/(^|\/):[A-Za-z_]/.test(path)) found = { exact: path, pattern: undefined, names: [] };
  else {
    const names: string[] = [];
    const source = path
      .split("/")
      .map((segment) => {
        const parameter = /^:([A-Za-z_][A-Za-z0-9_]*)$/.exec(segment);
        if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        if (names.includes(parameter[1]!)) throw new TypeError(`route ${path}: parameter :${parameter[1]} appears twice`);
        names.push(parameter[1]!);
        return "([^/]+)";
      })
      .join("/");
    found = { exact: undefined, pattern: new RegExp(`^${source}$`), names };
  }
  compiled.set(route, found);
  return found;
}

/**
 * Checks every route's path now (a parameter named twice is a TypeError), so that a bad route fails when the
 * gateway is created, not on a request.
 */
export function checkRoutes(routes: readonly Route[]): void {
  for (const route of routes) compile(route);
}

function methodMatches(route: Route, method: string): boolean {
  // A GET route answers HEAD too (RFC 9110, 9.3.2): runtimes send HEAD answers without their body.
  return route.method === "*" || route.method === method || (method === "HEAD" && route.method === "GET");
}

/** The parameters of `route` for `path`, or undefined when it does not match (a malformed escape does not match). */
function matchPattern(route: Route, path: string): Record<string, string> | undefined {
  const { pattern, names } = compile(route);
  if (!pattern) return undefined;
  const match = pattern.exec(path);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  try {
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(match[index + 1]!);
    });
  } catch {
    return undefined;
  }
  return params;
}

/** Whether any route matches the method and path (checked before building a route context). */
export function hasRoute(routes: readonly Route[], method: string, path: string): boolean {
  for (const route of routes) {
    if (!methodMatches(route, method)) continue;
    const { exact } = compile(route);
    if (exact !== undefined ? exact === path : matchPattern(route, path) !== undefined) return true;
  }
  return false;
}

/** A route context whose `url` is parsed when a handler first reads it; a malformed URL is a 400. */
export function routeContext(requestId: string, path: string, request: GatewayRequest<any>): RouteContext {
  let url: URL | undefined;
  return {
    requestId,
    path,
    params: {},
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

/** Finds and runs the first route that matches and does not decline: exact paths first, then the others in order. */
export async function runRoutes(
  routes: readonly Route[],
  request: GatewayRequest<any>,
  given: Omit<RouteContext, "params"> & { params?: Record<string, string> },
): Promise<PlainResponse<never> | undefined> {
  // Callers may leave params out: handlers always get them (empty for exact paths).
  const context = given as RouteContext;
  context.params ??= {};
  for (const route of routes) {
    if (!methodMatches(route, request.method) || compile(route).exact !== context.path) continue;
    const response = await route.handler(request, context);
    if (response) return response;
  }
  for (const route of routes) {
    if (!methodMatches(route, request.method) || compile(route).exact !== undefined) continue;
    const params = matchPattern(route, context.path);
    if (params === undefined) continue;
    context.params = params;
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
