// The admin JSON API (/api/v1, withAdminApi) over real HTTP for integration tests: a
// throwaway database, the given route modules, and one API key per role. Requests carry
// API keys, never a session: getServerSession needs Next's request context, so a request
// without credentials would reach it and answer 500 in this harness instead of 401.
import { createApiKey } from "@/lib/auth/apiKeys";
import { createTestDb, type TestDb } from "./db";
import { serveRouteImports, type RouteImports, type RouteServer } from "./routeServer";

export interface AdminApi {
  db: TestDb;
  server: RouteServer;
  /** Named `<name>-admin` (role ADMIN) and `<name>-reader` (role READ_ONLY); log lines show the name. */
  adminKey: string;
  readKey: string;
  /** fetch(server + path) with `Authorization: Bearer <key>`; string bodies default to JSON. */
  call(path: string, key: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export function bearerFetch(server: RouteServer): AdminApi["call"] {
  return (path, key, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${key}`);
    if (typeof init.body === "string" && !headers.has("content-type")) headers.set("content-type", "application/json");
    return fetch(`${server.url}${path}`, { ...init, headers });
  };
}

export async function startAdminApi(name: string, routes: RouteImports): Promise<AdminApi> {
  const db = await createTestDb();
  try {
    const adminKey = (await createApiKey(`${name}-admin`, "ADMIN")).key;
    const readKey = (await createApiKey(`${name}-reader`, "READ_ONLY")).key;
    const server = await serveRouteImports(routes);
    return {
      db,
      server,
      adminKey,
      readKey,
      call: bearerFetch(server),
      close: async () => {
        await server.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
