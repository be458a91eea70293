// Typed errors that the transport layer maps to HTTP statuses.
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** A refusal of named input fields: forms show each message beside its field. */
export class InputError extends AppError {
  constructor(
    code: string,
    message: string,
    /** Field name (the first path element, as forms name their inputs) → message. */
    readonly fields: Record<string, string>,
    status = 400,
  ) {
    super(status, code, message);
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message);
/** A 400 (or 409) about one field; the message is shown beside it and as the summary. */
export const fieldError = (code: string, field: string, message: string, status = 400) => new InputError(code, message, { [field]: message }, status);
/** A 400 naming every field validation refused, "name: Required; keySize: …" ("body" for the input as a whole). */
export const invalidInput = (code: string, error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> }) => {
  const fields: Record<string, string> = {};
  for (const i of error.issues) {
    const name = i.path.length ? String(i.path[0]) : "body";
    fields[name] ??= i.message;
  }
  return new InputError(code, error.issues.map((i) => `${i.path.map(String).join(".") || "body"}: ${i.message}`).join("; "), fields);
};
export const unauthorized = (message = "authentication required", headers: Record<string, string> = {}) => new AppError(401, "unauthorized", message, headers);
export const forbidden = (message = "not allowed") => new AppError(403, "forbidden", message);
export const notFound = (what = "resource") => new AppError(404, "not_found", `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const payloadTooLarge = (limit: number) => new AppError(413, "payload_too_large", `request body exceeds ${limit} bytes`);
export const unsupportedMediaType = (message: string) => new AppError(415, "unsupported_media_type", message);
