// The tokens table's search and sort, read from query parameters (the portal's GET form
// and the API). Token lists are small (hundreds): one page, sorted by the database and, for
// names, again as people read them (the database compares bytes: "Zulu" before "alpha").
import type { Prisma } from "../db/client";
import { badRequest } from "../errors";
import { contains, get, type Params } from "../log/query";

export const TOKEN_SORTS = {
  created: "createdAt",
  name: "name",
  group: "group",
  uses: "useCount",
  expires: "expiresAt",
} as const;
export type TokenSort = keyof typeof TOKEN_SORTS;

export interface TokenQuery {
  /** Text in the name, the group's name or the person's email. */
  q?: string;
  sort?: TokenSort;
  dir?: "asc" | "desc";
}

/** Newest first; names and groups A→Z; expiry soonest first. */
export function defaultTokenDir(sort: TokenSort): "asc" | "desc" {
  return sort === "created" || sort === "uses" ? "desc" : "asc";
}

/** Reads the table's state; bad values are a 400. */
export function parseTokenQuery(params: Params): TokenQuery {
  const sort = get(params, "sort");
  if (sort !== undefined && !Object.hasOwn(TOKEN_SORTS, sort)) throw badRequest("invalid_filter", `sort must be one of ${Object.keys(TOKEN_SORTS).join(", ")}`);
  const dir = get(params, "dir");
  if (dir !== undefined && dir !== "asc" && dir !== "desc") throw badRequest("invalid_filter", "dir must be asc or desc");
  const q = get(params, "q");
  return { ...(q ? { q: q.slice(0, 100) } : {}), ...(sort ? { sort: sort as TokenSort } : {}), ...(dir ? { dir } : {}) };
}

export function tokenQueryToParams(q: TokenQuery): URLSearchParams {
  const p = new URLSearchParams();
  if (q.q) p.set("q", q.q);
  if (q.sort) p.set("sort", q.sort);
  if (q.dir) p.set("dir", q.dir);
  return p;
}

export function tokenWhere(q: TokenQuery): Prisma.EnrollmentTokenWhereInput {
  if (!q.q) return {};
  return { OR: [{ name: contains(q.q) }, { personEmail: contains(q.q) }, { group: { name: contains(q.q) } }] };
}

export function tokenOrderBy(q: TokenQuery): Prisma.EnrollmentTokenOrderByWithRelationInput[] {
  const sort = q.sort ?? "created";
  const dir = q.dir ?? defaultTokenDir(sort);
  const tie = { id: dir } as const;
  switch (sort) {
    case "group":
      return [{ group: { name: dir } }, { createdAt: "desc" }, tie];
    case "expires":
      // Tokens that never expire come last either way.
      return [{ expiresAt: { sort: dir, nulls: "last" } }, { createdAt: "desc" }, tie];
    default:
      return [{ [TOKEN_SORTS[sort]]: dir }, ...(sort === "created" ? [] : [{ createdAt: "desc" as const }]), tie];
  }
}

const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

/** Name and group sorts ignore case and accents; the database's order breaks ties (stable sort). */
export function sortByText<T extends { name: string; groupName: string | null }>(rows: T[], q: TokenQuery): T[] {
  const sort = q.sort ?? "created";
  if (sort !== "name" && sort !== "group") return rows;
  const sign = (q.dir ?? defaultTokenDir(sort)) === "asc" ? 1 : -1;
  const key = (r: T) => (sort === "name" ? r.name : r.groupName);
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    // Tokens without a group come last either way, as the database puts them.
    if (ka === null || kb === null) return ka === kb ? 0 : ka === null ? 1 : -1;
    return sign * collator.compare(ka, kb);
  });
}
