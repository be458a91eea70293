// Serves an App Router route handler (GET/POST/PUT… taking a Web Request, returning a Web
// Response) straight from node:http: the lean transport of scripts/serve.mjs for the protocol
// endpoints, and the transport of the integration tests (test/helpers/routeServer.ts), so
// both run the same glue. Plain JavaScript: serve.mjs runs without a TypeScript loader.

/** Must match ENCODED_BODY_HEADER in lib/http/compress.ts. */
export const ENCODED_BODY_HEADER = "x-enroll-content-encoding";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * A matcher for an App Router pattern (/scep/[id], /a/[...rest]): the params of a pathname,
 * or null. A malformed escape in a segment stays as sent.
 */
export function routeMatcher(pattern) {
  const names = [];
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
  const decode = (s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return (pathname) => {
    const m = re.exec(pathname);
    if (!m) return null;
    const params = {};
    names.forEach((n, i) => {
      const raw = m[i + 1];
      params[n.name] = n.rest ? raw.split("/").map(decode) : decode(raw);
    });
    return params;
  };
}

/**
 * The request body as a Web stream read from node's request as the handler pulls it. A handler
 * that stops reading (a body over its limit) cancels it: the rest is discarded, not buffered,
 * and the connection closes after the answer instead of carrying the unread bytes.
 */
function bodyStream(req, res) {
  let done = false;
  const onData = (chunk, controller) => {
    if (done) return;
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 1) <= 0) req.pause();
  };
  let listeners = null;
  return new ReadableStream(
    {
      start(controller) {
        listeners = {
          data: (chunk) => onData(chunk, controller),
          end: () => {
            if (done) return;
            done = true;
            controller.close();
          },
          error: (err) => {
            if (done) return;
            done = true;
            controller.error(err);
          },
          close: () => {
            if (done || req.complete) return;
            done = true;
            controller.error(new Error("the client closed the connection before the body ended"));
          },
        };
        for (const [event, fn] of Object.entries(listeners)) req.on(event, fn);
        req.pause();
      },
      pull() {
        req.resume();
      },
      cancel() {
        done = true;
        for (const [event, fn] of Object.entries(listeners ?? {})) req.off(event, fn);
        if (!req.complete) res.shouldKeepAlive = false;
        req.resume();
      },
    },
    { highWaterMark: 1 },
  );
}

/** A Web Request for node's request; x-enroll-peer carries the socket's address (lib/http/remote.ts). */
export function webRequest(req, res, url) {
  const method = (req.method ?? "GET").toUpperCase();
  const headers = new Headers();
  const raw = req.headers;
  for (const name in raw) {
    const value = raw[name];
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  headers.set("x-enroll-peer", req.socket.remoteAddress ?? "");
  const hasBody = method !== "GET" && method !== "HEAD";
  // Nothing of a GET's or HEAD's body is read: let the request end now, as a consumed one would.
  if (!hasBody) req.resume();
  return new Request(url, hasBody ? { method, headers, body: bodyStream(req, res), duplex: "half" } : { method, headers });
}

/**
 * Writes a Web Response to node's response: status, headers (each Set-Cookie on its own; the
 * encoding a handler declared in ENCODED_BODY_HEADER as Content-Encoding, as Next's path does
 * in serve.mjs), then the body as it streams, waiting for the socket when it is full.
 */
export async function sendResponse(req, res, response, extraHeaders = []) {
  for (const [name, value] of extraHeaders) res.setHeader(name, value);
  for (const [name, value] of response.headers) {
    if (name === "set-cookie" || name === ENCODED_BODY_HEADER) continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("set-cookie", cookies);
  const encoding = response.headers.get(ENCODED_BODY_HEADER);
  if (encoding && /^(br|gzip)$/.test(encoding)) res.setHeader("content-encoding", encoding);
  res.statusCode = response.status;
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel().catch(() => undefined);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        await reader.cancel().catch(() => undefined);
        return;
      }
      if (!res.write(value)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
    res.end();
  } catch (err) {
    res.destroy(err);
  }
}

/** Whether `module` answers `method` itself (else the caller hands the request on: 405, HEAD, OPTIONS). */
export function handlerFor(module, method) {
  const upper = (method ?? "GET").toUpperCase();
  if (!METHODS.includes(upper)) return null;
  const fn = module[upper];
  return typeof fn === "function" ? fn : null;
}

/**
 * Runs `handler` for node's request and writes its answer. A handler that throws gets a bare
 * 500 (as Next answers), with the error on stderr.
 */
export async function serveHandler(req, res, handler, url, params, extraHeaders = []) {
  let response;
  try {
    response = await handler(webRequest(req, res, url), { params: Promise.resolve(params) });
  } catch (err) {
    process.stderr.write(`${req.method} ${url.pathname} failed: ${err?.stack ?? err}\n`);
    if (res.headersSent) return void res.destroy();
    res.shouldKeepAlive = false;
    for (const [name, value] of extraHeaders) res.setHeader(name, value);
    res.statusCode = 500;
    res.end();
    return;
  }
  if (!req.complete) {
    // Answered before the body ended (the handler never read it): drop the rest, then close.
    res.shouldKeepAlive = false;
    req.removeAllListeners("data");
    req.resume();
  }
  await sendResponse(req, res, response, extraHeaders);
}
