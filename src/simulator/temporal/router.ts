import type { HttpMethod, Route } from "./route.js";

/** RouteMatch is the outcome of routing a request: a route with its path variables, or a routing error. */
export type RouteMatch =
  | { readonly route: Route; readonly params: Record<string, string> }
  | { readonly route: undefined; readonly status: 404 | 405 };

/** Router finds the route of a request. */
export interface Router {
  match(method: string, path: string): RouteMatch;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
  literals: number;
}

/**
 * createRouter compiles path templates such as `/cloud/users/{userId}`. Like grpc-gateway v2,
 * an unknown path is 404 and a known path with another method is 405.
 */
export function createRouter(routes: readonly Route[]): Router {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const segments = route.path.split("/").slice(1);
    return { route, segments, literals: segments.filter((s) => !s.startsWith("{")).length };
  });
  // Literal segments win over variables when two templates could match the same path.
  compiled.sort((a, b) => b.literals - a.literals);

  const bind = (entry: CompiledRoute, parts: string[]): Record<string, string> | undefined => {
    if (entry.segments.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const segment = entry.segments[i] as string;
      const part = parts[i] as string;
      if (segment.startsWith("{")) {
        if (part === "") return undefined;
        params[segment.slice(1, -1)] = part;
      } else if (segment !== part) {
        return undefined;
      }
    }
    return params;
  };

  return {
    match(method, path) {
      let parts: string[];
      try {
        parts = path.split("/").slice(1).map(decodeURIComponent);
      } catch {
        return { route: undefined, status: 404 };
      }
      let otherMethod = false;
      for (const entry of compiled) {
        const params = bind(entry, parts);
        if (params === undefined) continue;
        if (entry.route.method === (method as HttpMethod)) return { route: entry.route, params };
        otherMethod = true;
      }
      return { route: undefined, status: otherMethod ? 405 : 404 };
    },
  };
}
