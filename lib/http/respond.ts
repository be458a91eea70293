// Turns results and typed errors into responses, the same way on every route. The domains
// of lib/ return data (an HttpFile for a download) or throw AppErrors; route handlers in
// app/ answer with these helpers.
import { AppError } from "../errors";
import { log } from "../log/logger";

/** A body sent as it is (a certificate, a CRL, an image) with the headers that describe it. */
export interface HttpFile {
  body: Uint8Array | string;
  contentType: string;
  cacheControl: string;
  /** Offered as an attachment under this name. */
  filename?: string;
  headers?: Record<string, string>;
}

export function fileResponse(file: HttpFile): Response {
  const headers: Record<string, string> = { "content-type": file.contentType, "cache-control": file.cacheControl, ...file.headers };
  if (file.filename) headers["content-disposition"] = `attachment; filename="${file.filename}"`;
  return new Response(typeof file.body === "string" ? file.body : new Uint8Array(file.body), { status: 200, headers });
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export function errorResponse(err: unknown): Response {
  if (err instanceof AppError) {
    return json({ error: err.code, message: err.message }, err.status, err.headers);
  }
  log.error("unhandled error", { err });
  return json({ error: "internal_error", message: "internal server error" }, 500);
}

/** Wraps a route handler so thrown AppErrors become their status and nothing else leaks. */
export function handle<A extends unknown[]>(fn: (...args: A) => Promise<Response>): (...args: A) => Promise<Response> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      return errorResponse(err);
    }
  };
}
