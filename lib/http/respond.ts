// Turns results and typed errors into responses, the same way on every route.
import { AppError } from "../errors";
import { log } from "../log/logger";

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
