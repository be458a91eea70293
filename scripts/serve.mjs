// The HTTP server around Next.js (started by scripts/start.ts). A plain node:http server
// so the socket's address reaches the app in a header no client can forge, and slow or
// stalled clients are cut off instead of holding connections open.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST || undefined;

const app = next({ dev, dir: root, port, hostname: hostname ?? "localhost" });
const handle = app.getRequestHandler();
await app.prepare();

/** Must match ENCODED_BODY_HEADER in lib/http/compress.ts. */
const ENCODED_BODY_HEADER = "x-enroll-content-encoding";

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

const server = http.createServer((req, res) => {
  req.headers["x-enroll-peer"] = req.socket.remoteAddress ?? "";
  restoreContentEncoding(res);
  handle(req, res);
});
server.headersTimeout = 20_000;
server.requestTimeout = 60_000;
server.keepAliveTimeout = 5_000;
server.listen(port, hostname, () => {
  process.stdout.write(`ready on port ${port}\n`);
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
