// The log-style pages (Enrollment Log, Audit log): read the filter from the query, then the
// page at the cursor. A bad filter or cursor is shown as a message above the first page,
// never as an error page.
import { AppError } from "@/lib/errors";

type SearchParams = Record<string, string | string[] | undefined>;

/** `none` is the filter used when the query's is refused (no filter at all). */
export async function readFilteredPage<F, P>(
  params: SearchParams,
  parse: (params: SearchParams) => F,
  query: (filter: F, opts: { cursor?: string | null; limit: number }) => Promise<P>,
  none: F,
): Promise<{ filter: F; cursor: string | null; page: P; error: string | null }> {
  let filter = none;
  let error: string | null = null;
  try {
    filter = parse(params);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    error = err.message;
  }
  const cursor = typeof params.cursor === "string" ? params.cursor : null;
  try {
    return { filter, cursor, page: await query(filter, { cursor, limit: 100 }), error };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { filter, cursor, page: await query(filter, { limit: 100 }), error: err.message };
  }
}

/** datetime-local wants "YYYY-MM-DDTHH:MM" (we read and show it as UTC). */
export const localValue = (d?: Date) => (d ? d.toISOString().slice(0, 16) : "");
