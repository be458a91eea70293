// Serves App Router route handlers over real HTTP without building Next.js, so
// integration tests (and external clients such as scepclient) talk to the exact
// handlers the app ships. Patterns use the App Router's syntax: /scep/[id], /a/[...rest].
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { MALFORMED_PATH_BODY, pathDecodes } from "@/scripts/edge.mjs";

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

function matcher(pattern: string): (pathname: string) => Record<string, string | string[]> | null {
  const names: { name: string; rest: boolean }[] = [];
  const source = pattern
    .split("/")
    .map((seg) => {
      const rest = /^\[\.\.\.(\w+)\]$/.exec(seg);
      if (rest) {
        names.push({ name: rest[1], rest: true });
        return "(.+)";
      }
      const one = /^\[(\w+)\]$/.exec(seg);
      if (one) {
        names.push({ name: one[1], rest: false });
        return "([^/]+)";
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  const re = new RegExp(`^${source}/?$`);
  return (pathname) => {
    const m = re.exec(pathname);
    if (!m) return null;
    const params: Record<string, string | string[]> = {};
    // Unreachable for paths serveRoutes admits (pathDecodes, as scripts/serve.mjs); kept total.
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    names.forEach((n, i) => {
      const raw = m[i + 1];
      params[n.name] = n.rest ? raw.split("/").map(decode) : decode(raw);
    });
    return params;
  };
}

export interface ServeOptions {
  port?: number;
  /** Serve HTTPS with this PEM key and certificate (clients that insist on TLS, such as ACME clients). */
  tls?: { key: string; cert: string };
}

export async function serveRoutes(routes: MountedRoute[], opts: ServeOptions = {}): Promise<RouteServer> {
  const compiled = routes.map((r) => ({ match: matcher(r.pattern), module: r.module }));
  const listener: http.RequestListener = async (req, res) => {
    // The real server's edge check (scripts/serve.mjs) comes first here too.
    if (!pathDecodes(req.url ?? "/")) {
      res.writeHead(400, { "content-type": "application/json" }).end(MALFORMED_PATH_BODY);
      return;
    }
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (Array.isArray(v)) for (const x of v) headers.append(k, x);
        else if (v !== undefined) headers.set(k, v);
      }
      headers.set("x-enroll-peer", req.socket.remoteAddress ?? "");
      const method = (req.method ?? "GET").toUpperCase();
      const request = new Request(url, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : body });
      for (const r of compiled) {
        const params = r.match(url.pathname);
        if (!params) continue;
        const fn = r.module[method as keyof RouteModule];
        if (!fn) {
          res.writeHead(405).end();
          return;
        }
        const response = await fn(request, { params: Promise.resolve(params) });
        const outHeaders: Record<string, string> = {};
        response.headers.forEach((v, k) => {
          outHeaders[k] = v;
        });
        res.writeHead(response.status, outHeaders);
        res.end(Buffer.from(await response.arrayBuffer()));
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
