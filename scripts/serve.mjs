// The HTTP server around Next.js (started by scripts/start.ts). A plain node:http server
// so the socket's address reaches the app in a header no client can forge, and slow or
// stalled clients are cut off instead of holding connections open.
//
// One worker per core (node:cluster; WORKERS overrides, WORKERS=1 serves in this process).
// The primary only forks, restarts crashed workers and relays peer announcements
// (lib/cluster/peers.ts); exactly one worker at a time runs the scheduled jobs
// (ENROLL_JOBS=1 in its environment, handed to its replacement when it dies).
//
// The protocol endpoints (LEAN_ROUTES) skip Next's request path: their compiled route modules
// (the same files, so the same module instances, Next loads) answer straight from node:http
// through scripts/routeBridge.mjs, with the configured headers from the build's routes
// manifest. Anything they do not export (HEAD, OPTIONS, other methods), trailing slashes and
// escaped paths still go through Next, as do all other paths.
import cluster from "node:cluster";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ENCODED_BODY_HEADER, handlerFor, routeMatcher, serveHandler } from "./routeBridge.mjs";
import { MALFORMED_PATH_BODY, pathDecodes } from "./edge.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST || undefined;

/** WORKERS (validated by scripts/start.ts through lib/config), else one per core. Development always runs one. */
function workerCount(env = process.env) {
  if (dev) return 1;
  const n = Number((env.WORKERS ?? "").trim());
  return Number.isInteger(n) && n >= 1 ? n : os.availableParallelism();
}

/**
 * Next drops Content-Encoding from route handler responses; a handler that compressed its own
 * body (Brotli for the enroll page) says so in ENCODED_BODY_HEADER, restored here just before
 * the headers go out (writeHead also runs for implicit headers).
 */
function restoreContentEncoding(res) {
  const writeHead = res.writeHead;
  res.writeHead = function (...args) {
    const encoding = res.getHeader(ENCODED_BODY_HEADER);
    if (typeof encoding === "string" && /^(br|gzip)$/.test(encoding) && !res.getHeader("content-encoding")) {
      res.setHeader("content-encoding", encoding);
      res.removeHeader("content-length");
    }
    res.removeHeader(ENCODED_BODY_HEADER);
    return writeHead.apply(this, args);
  };
}

/**
 * Device-facing endpoints answered without Next's request path: App Router pattern, route folder.
 * A path that proxy.ts's matcher covers is still handed to Next, so the proxy always runs.
 */
const LEAN_ROUTES = [
  ["/mdm/checkin", "mdm/checkin"],
  ["/mdm/connect", "mdm/connect"],
  ["/scep/[id]", "scep/[id]"],
  ["/enroll", "enroll"],
  ["/enroll/profile", "enroll/profile"],
  ["/adde/[mode]", "adde/[mode]"],
  ["/acme/[...path]", "acme/[...path]"],
];

/**
 * The lean routes of a production build: for a request, its route module's handler, params
 * and URL, or null (Next answers it). Route modules are loaded on first use, like Next does.
 */
function leanRoutes(distDir) {
  const require = createRequire(import.meta.url);
  const manifest = JSON.parse(fs.readFileSync(path.join(distDir, "routes-manifest.json"), "utf8"));
  // next.config's headers(); conditional ones (has/missing) are not used here, so a route with any falls back to Next.
  const headerRules = (manifest.headers ?? []).map((h) => ({ re: new RegExp(h.regex), headers: h.headers.map((x) => [x.key, x.value]), conditional: Boolean(h.has || h.missing) }));
  // proxy.ts's matchers as built (the build writes them for Next's own routing).
  const functions = JSON.parse(fs.readFileSync(path.join(distDir, "server", "functions-config-manifest.json"), "utf8")).functions ?? {};
  const proxied = Object.values(functions).flatMap((f) => (f.matchers ?? []).map((m) => new RegExp(m.regexp)));
  const routes = LEAN_ROUTES.map(([pattern, dir]) => ({ match: routeMatcher(pattern), file: path.join(distDir, "server", "app", dir, "route.js"), module: null }));
  const load = async (route) => {
    if (!route.module) {
      const { routeModule } = require(route.file);
      await routeModule.ensureUserland();
      route.module = routeModule.userland;
    }
    return route.module;
  };
  return async (req) => {
    const raw = req.url ?? "";
    if (raw[0] !== "/") return null;
    const q = raw.indexOf("?");
    const pathname = q < 0 ? raw : raw.slice(0, q);
    if (pathname.length > 1 && pathname.endsWith("/")) return null; // Next redirects these
    if (pathname.includes("%")) return null; // Next decodes (and refuses malformed) escapes
    if (proxied.some((re) => re.test(pathname))) return null;
    for (const route of routes) {
      const params = route.match(pathname);
      if (!params) continue;
      const handler = handlerFor(await load(route), req.method);
      if (!handler) return null;
      let url;
      try {
        url = new URL(raw, `http://${req.headers.host || "localhost"}`);
      } catch {
        return null;
      }
      const rules = headerRules.filter((r) => r.re.test(pathname));
      if (rules.some((r) => r.conditional)) return null;
      return { handler, params, url, headers: rules.flatMap((r) => r.headers) };
    }
    return null;
  };
}

async function serve() {
  const { default: next } = await import("next");
  const app = next({ dev, dir: root, port, hostname: hostname ?? "localhost" });
  const handle = app.getRequestHandler();
  await app.prepare();
  const lean = dev ? null : leanRoutes(path.join(root, process.env.NEXT_DIST_DIR || ".next"));

  const nextHandle = (req, res) => {
    restoreContentEncoding(res);
    handle(req, res);
  };
  const server = http.createServer((req, res) => {
    req.headers["x-enroll-peer"] = req.socket.remoteAddress ?? "";
    // Before any route: a path that does not decode is the client's error, never a 500.
    if (!pathDecodes(req.url ?? "/")) {
      res.writeHead(400, { "content-type": "application/json", "content-length": Buffer.byteLength(MALFORMED_PATH_BODY), "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : MALFORMED_PATH_BODY);
      return;
    }
    if (!lean) return nextHandle(req, res);
    lean(req)
      .then(
        (route) => (route ? serveHandler(req, res, route.handler, route.url, route.params, route.headers) : nextHandle(req, res)),
        (err) => {
          process.stderr.write(`lean route failed to load, Next answers: ${err?.stack ?? err}\n`);
          nextHandle(req, res);
        },
      )
      .catch((err) => res.destroy(err));
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.listen(port, hostname, () => {
    if (cluster.isPrimary) process.stdout.write(`ready on port ${port}\n`);
    else process.send?.({ openEnroll: "listening" });
  });
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      server.close();
      // Work lib/ registered for shutdown (lib/cluster/shutdown.ts), e.g. enrollment-log counts not yet written.
      const hooks = globalThis[Symbol.for("openenroll.shutdownHooks")];
      const done = hooks ? Promise.allSettled([...hooks.values()].map((h) => h())) : Promise.resolve();
      const timer = setTimeout(() => process.exit(0), 5_000);
      void done.then(() => {
        clearTimeout(timer);
        process.exit(0);
      });
    });
  }
}

function primary(count) {
  let jobsWorker = null;
  let stopping = false;
  let listening = 0;
  const recentDeaths = [];

  const fork = (runJobs) => {
    const worker = cluster.fork({ ENROLL_JOBS: runJobs ? "1" : "0", ENROLL_WORKER: "1" });
    if (runJobs) jobsWorker = worker;
    worker.on("message", (msg) => {
      if (!msg || typeof msg !== "object") return;
      if (msg.openEnroll === "listening" && ++listening === count) process.stdout.write(`ready on port ${port} (${count} workers)\n`);
      // A worker changed shared state (a rotated key, new credentials): tell the others.
      if (msg.openEnroll === "peer") for (const other of Object.values(cluster.workers ?? {})) if (other && other !== worker) other.send(msg);
    });
    return worker;
  };

  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    const now = Date.now();
    recentDeaths.push(now);
    while (recentDeaths.length && now - recentDeaths[0] > 60_000) recentDeaths.shift();
    if (recentDeaths.length > 5 * count) {
      process.stderr.write(`\nopen-enroll could not start: workers keep exiting (last: ${signal ?? `code ${code}`}); see the output above.\n\n`);
      process.exit(1);
    }
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another\n`);
    fork(worker === jobsWorker);
  });

  for (let i = 0; i < count; i++) fork(i === 0);

  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {});
      if (workers.length === 0) process.exit(0);
      for (const w of workers) w?.process.kill(sig);
      setTimeout(() => process.exit(0), 10_000).unref();
    });
  }
}

if (cluster.isPrimary) {
  const count = workerCount();
  if (count === 1) await serve();
  else primary(count);
} else {
  await serve();
}
