// Identifiers with "+": Apple's client leaves "+" unencoded in user-identifier (discovery,
// the web-auth URL) and login_hint, as NSURLComponents does. name+tag@example.com must
// discover, prefill the sign-in page and enroll with the simple method too (the OAuth 2
// method: appleOAuthClient.test.ts). One reader (lib/http/query.ts) does the decoding.
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoute } from "@/lib/enrollment/routes";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { putUser } from "@/lib/enrollment/users";
import { parseQuery, RAW_QUERY_HEADER } from "@/lib/http/query";
import { proxy } from "@/proxy";
import { createTestDb, type TestDb } from "../helpers/db";
import type { RouteServer } from "../helpers/routeServer";
import { fixtureRequest, send } from "./appleClient";
import { enrollPost, form, parseBearerChallenge, startAddeServer, tokenFromResultLocation } from "./deviceClient";
import { setupScep } from "./scepSetup";

describe("parseQuery", () => {
  it("decodes %XX but keeps '+' (RFC 3986 query), unless asked for form decoding", () => {
    const q = parseQuery("?user-identifier=name+tag@example.com&model-family=iPhone&x=a%2Bb%20c&empty&dup=1&dup=2");
    expect(q.get("user-identifier")).toBe("name+tag@example.com");
    expect(q.get("x")).toBe("a+b c");
    expect(q.get("empty")).toBe("");
    expect(q.getAll("dup")).toEqual(["1", "2"]);
    expect(parseQuery("password=a+b%2Bc", { plusIsSpace: true }).get("password")).toBe("a b+c");
    // A stray "%" is kept as sent rather than throwing.
    expect(parseQuery("a=100%&b=%zz").get("a")).toBe("100%");
  });
});

describe("proxy hands the sign-in page the raw query", () => {
  it("sets the raw query header for /authenticate pages, overwriting one the client sent", () => {
    const res = proxy(new NextRequest("https://mdm.example.test/authenticate/byod?user-identifier=name+tag@example.com", { headers: { [RAW_QUERY_HEADER]: "?user-identifier=forged@example.com" } }));
    expect(res.headers.get(`x-middleware-request-${RAW_QUERY_HEADER}`)).toBe("?user-identifier=name+tag@example.com");
  });
});

let t: TestDb;
let server: RouteServer;

beforeAll(async () => {
  t = await createTestDb();
  server = await startAddeServer();
  await setupScep();
  await createRoute({ domain: "example.com", version: "mdm-byod" });
  await putUser("name+tag@example.com", { password: "name-tag-password" });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe("name+tag@example.com with the simple method", () => {
  it("discovers, prefills the sign-in page and enrolls", async () => {
    const d = await send(server, fixtureRequest("discovery", { "user-identifier": "name+tag@example.com", "model-family": "iPhone" }));
    expect(d.status).toBe(200);
    const { Servers } = (await d.json()) as { Servers: { BaseURL: string }[] };
    const first = await enrollPost(server, Servers[0].BaseURL);
    const c = parseBearerChallenge(first.headers.get("www-authenticate"))!;
    // The client appends user-identifier to the web-auth URL, "+" unencoded.
    const webAuth = `${c.url}?user-identifier=name+tag@example.com`;
    const query = parseQuery(new URL(webAuth).search);
    const page = await signInPage({ identifier: query.get("user-identifier"), mode: new URL(webAuth).pathname.split("/").pop()!, flow: null, error: null });
    expect(page).toMatchObject({ ok: true, identifier: "name+tag@example.com" });
    // The page's form is posted by the web view, form-encoded ("+" as %2B).
    const signIn = await fetch(`${server.url}/authenticate/local`, form({ identifier: "name+tag@example.com", mode: "byod", password: "name-tag-password" }));
    expect(signIn.status).toBe(308);
    const second = await enrollPost(server, Servers[0].BaseURL, { token: tokenFromResultLocation(signIn.headers.get("location")) });
    expect(second.status).toBe(200);
  });
});
