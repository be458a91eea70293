// Serves App Router route handlers over real HTTP without building Next.js, so
// integration tests (and external clients such as scepclient) talk to the exact
// handlers the app ships, through the transport scripts/serve.mjs uses for the protocol
// endpoints (scripts/routeBridge.mjs). Patterns use the App Router's syntax: /scep/[id], /a/[...rest].
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { handlerFor, routeMatcher, serveHandler } from "../../scripts/routeBridge.mjs";
import { MALFORMED_PATH_BODY, pathDecodes } from "../../scripts/edge.mjs";

type Handler = (request: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Response | Promise<Response>;
export type RouteModule = Partial<Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD", Handler>>;

export interface MountedRoute {
  pattern: string;
  module: RouteModule;
}

/**
 * Route modules keyed by App Router pattern, given as `import()` promises. Next types each
 * handler's params per route ({ id: string }), which the generic Handler cannot accept
 * directly; serveRouteImports widens them in this one place instead of a cast per route.
 * Order matters as in serveRoutes: the first matching pattern answers.
 */
export type RouteImports = Record<string, Promise<unknown>>;

export interface RouteServer {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  port?: number;
  /** Serve HTTPS with this PEM key and certificate (clients that insist on TLS, such as ACME clients). */
  tls?: { key: string; cert: string };
}

export async function serveRoutes(routes: MountedRoute[], opts: ServeOptions = {}): Promise<RouteServer> {
  const compiled = routes.map((r) => ({ match: routeMatcher(r.pattern), module: r.module }));
  const listener: http.RequestListener = async (req, res) => {
    // The real server's edge check (scripts/serve.mjs) comes first here too.
    if (!pathDecodes(req.url ?? "/")) {
      res.writeHead(400, { "content-type": "application/json" }).end(MALFORMED_PATH_BODY);
      return;
    }
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
      for (const r of compiled) {
        const params = r.match(url.pathname);
        if (!params) continue;
        const fn = handlerFor(r.module, req.method);
        if (!fn) {
          res.writeHead(405).end();
          return;
        }
        await serveHandler(req, res, fn, url, params);
        return;
      }
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
    }
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : http.createServer(listener);
  // Tests share one event loop with this server: a test that blocks it for seconds (openssl via
  // execFileSync) would otherwise reuse a kept-alive socket that the server's 5 s timer closes
  // the moment the loop frees, and see ECONNRESET.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export async function serveRouteImports(routes: RouteImports, opts: ServeOptions = {}): Promise<RouteServer> {
  const mounted = await Promise.all(Object.entries(routes).map(async ([pattern, mod]) => ({ pattern, module: (await mod) as RouteModule })));
  return serveRoutes(mounted, opts);
}
