import { ENDPOINTS, type TEndpoint } from "./endpoints.ts";
import type { TNextRouteContext } from "./route.ts";

type THandler = (request: Request, context: TNextRouteContext) => Promise<Response>;

/** Test helper: every route file under app/api/v1, as `{ METHOD path }` → handler, paths in OpenAPI form. */
export function routeFiles(modules: Record<string, Record<string, unknown>>): Map<string, THandler> {
  const handlers = new Map<string, THandler>();
  for (const [file, module] of Object.entries(modules)) {
    const path = file
      .replace(/^.*\/app\/api\/v1/, "")
      .replace(/\/route\.ts$/, "")
      .replaceAll(/\[([^\]]+)\]/g, "{$1}");
    for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
      if (typeof module[method] === "function") handlers.set(`${method} ${path || "/"}`, module[method] as THandler);
    }
  }
  return handlers;
}

/** The handler of an endpoint, found by its method and path. */
export function handlerOf(handlers: Map<string, THandler>, endpoint: TEndpoint): THandler {
  const handler = handlers.get(`${endpoint.method} ${endpoint.path}`);
  if (!handler) throw new Error(`no route file serves ${endpoint.method} ${endpoint.path}`);
  return handler;
}

export const endpointEntries = () => Object.entries(ENDPOINTS) as [keyof typeof ENDPOINTS, TEndpoint][];
