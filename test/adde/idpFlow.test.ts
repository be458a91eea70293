// The simple method with the organisation's IdP: the real OpenID provider from the e2e suite
// (e2e/oidc/server.mjs, oidc-provider) as a child process. The sign-in leg runs the
// authorization-code grant with PKCE, the state lives server-side (AuthFlow), the id_token is
// verified against the IdP's JWKS; the device ends with the 308 and enrolls.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { parse as parsePlist } from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { createRoute } from "@/lib/enrollment/routes";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { putUser } from "@/lib/enrollment/users";
import { verifySignedData } from "@/lib/pki/cms";
import { validateProfile } from "@/lib/profiles/appleSchema";
import { sha256Hex } from "@/lib/secrets/hash";
import { createTestDb, type TestDb } from "../helpers/db";
import type { RouteServer } from "../helpers/routeServer";
import { discover, enrollPost, form, local, parseBearerChallenge, startAddeServer, tokenFromResultLocation } from "./deviceClient";
import { setupScep } from "./scepSetup";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// config() reads these on first use, which happens after this module body runs.
const oidcPort = await freePort();
const issuer = `http://localhost:${oidcPort}`;
process.env.USER_OIDC_ISSUER = issuer;
process.env.USER_OIDC_CLIENT_ID = "enroll";
process.env.USER_OIDC_CLIENT_SECRET = "enroll-secret";
process.env.USER_OIDC_NAME = "Example IdP";

let idp: ChildProcess;
let t: TestDb;
let server: RouteServer;

beforeAll(async () => {
  idp = spawn(process.execPath, ["e2e/oidc/server.mjs"], { env: { ...process.env, OIDC_PORT: String(oidcPort), APP_URL: process.env.PUBLIC_URL }, stdio: "ignore" });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 300) throw new Error("OIDC provider did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  t = await createTestDb();
  server = await startAddeServer();
  await setupScep();
  await createRoute({ domain: "example.com", version: "mdm-byod" });
  await putUser("grace@example.com", { managedAppleId: "grace@appleid.example.com" });
});

afterAll(async () => {
  await server?.close();
  await t?.close();
  if (idp?.pid) idp.kill();
});

/** A browser in miniature: follows redirects by hand, keeps the IdP's cookies. */
class Browser {
  cookies = new Map<string, string>();

  async go(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (url.startsWith(issuer) && this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    if (url.startsWith(issuer)) {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const eq = pair.indexOf("=");
        this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
    }
    return res;
  }

  /** Follows redirects until one leaves for a URL `stop` accepts (or a non-redirect). */
  async follow(res: Response, from: string, stop: (url: string) => boolean): Promise<{ res: Response; url: string }> {
    let url = from;
    while (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get("location")!, url).toString();
      if (stop(url)) return { res, url };
      res = await this.go(url);
    }
    return { res, url };
  }
}

/** Signs in at the dev IdP (login form, then consent); returns the redirect to our callback. */
async function idpSignIn(b: Browser, startUrl: URL, login: string, password: string): Promise<{ url: string; res: Response }> {
  const toApp = (u: string) => u.startsWith(process.env.PUBLIC_URL!);
  let step = await b.follow(await b.go(startUrl.toString()), startUrl.toString(), toApp);
  for (let round = 0; round < 4 && !toApp(step.url); round++) {
    const html = await step.res.text();
    if (step.res.status !== 200) return step;
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on ${step.url}`);
    const target = new URL(action, step.url).toString();
    const fields: Record<string, string> = html.includes('name="login"') ? { prompt: "login", login, password } : { prompt: "consent" };
    const posted = await b.go(target, form(fields));
    if (posted.status === 401) return { url: target, res: posted };
    step = await b.follow(posted, target, toApp);
  }
  return step;
}

type Dict = Record<string, unknown>;

async function startSignIn(identifier: string) {
  const doc = (await (await discover(server, identifier)).json()) as { Servers: { BaseURL: string }[] };
  const baseUrl = doc.Servers[0].BaseURL;
  const first = await enrollPost(server, baseUrl);
  const c = parseBearerChallenge(first.headers.get("www-authenticate"))!;
  const authUrl = new URL(c.url);
  authUrl.searchParams.set("user-identifier", identifier);
  const page = await signInPage({ identifier, mode: authUrl.pathname.split("/").pop()!, flow: null, error: null });
  if (!page.ok) throw new Error("sign-in page refused");
  expect(page.idpName).toBe("Example IdP");
  const start = await fetch(`${server.url}/authenticate/start`, form({ identifier: page.identifier!, mode: page.mode }));
  expect(start.status).toBe(303);
  const idpUrl = new URL(start.headers.get("location")!);
  return { baseUrl, start, idpUrl };
}

describe("simple method through the organisation's IdP", () => {
  it("signs in with code + PKCE, verifies the id_token, 308s the token, and the token enrolls", async () => {
    const { baseUrl, idpUrl } = await startSignIn("grace@example.com");
    expect(idpUrl.origin).toBe(issuer);
    expect(idpUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(idpUrl.searchParams.get("login_hint")).toBe("grace@example.com");
    expect(idpUrl.searchParams.get("redirect_uri")).toBe("https://mdm.example.test/authenticate/callback");
    const state = idpUrl.searchParams.get("state")!;
    // The state is kept server-side, hashed: the row exists and does not contain the state.
    const flows = await db().authFlow.findMany();
    const row = flows.find((f) => f.stateHash === sha256Hex(state));
    expect(row?.userIdentifier).toBe("grace@example.com");
    expect(row?.data).not.toContain(state);

    const b = new Browser();
    const back = await idpSignIn(b, idpUrl, "grace@example.com", "correct horse");
    const cb = await fetch(local(server, back.url), { redirect: "manual" });
    expect(cb.status).toBe(308);
    const token = tokenFromResultLocation(cb.headers.get("location"));

    const second = await enrollPost(server, baseUrl, { token });
    expect(second.status).toBe(200);
    const { content } = await verifySignedData(new Uint8Array(await second.arrayBuffer()));
    const top = parsePlist(new TextDecoder().decode(content)) as Dict;
    expect(validateProfile(top, { os: "iOS", userEnrollment: true })).toEqual([]);
    const mdm = (top.PayloadContent as Dict[]).find((p) => p.PayloadType === "com.apple.mdm")!;
    expect(mdm).toMatchObject({ EnrollmentMode: "BYOD", AssignedManagedAppleID: "grace@appleid.example.com" });
    const user = await db().user.findUniqueOrThrow({ where: { identifier: "grace@example.com" } });
    expect(user.idpSubject).toBe("grace@example.com");

    // The callback is single-use: replaying it fails and is logged.
    const replay = await fetch(local(server, back.url), { redirect: "manual" });
    expect(replay.status).toBe(400);
    expect(await db().enrollmentLog.count({ where: { reason: "auth_state_invalid" } })).toBe(1);
  });

  it("refuses a sign-in as a different account than the device asked for", async () => {
    const { idpUrl } = await startSignIn("grace@example.com");
    const b = new Browser();
    const back = await idpSignIn(b, idpUrl, "mallory@example.com", "correct horse");
    const cb = await fetch(local(server, back.url), { redirect: "manual" });
    expect(cb.status).toBe(403);
    expect(cb.headers.get("location")).toBeNull();
    const line = await db().enrollmentLog.findFirst({ where: { reason: "auth_identity_mismatch" } });
    expect(line?.message).toContain("mallory@example.com");
  });

  it("a wrong IdP password never reaches our callback; an IdP error does, and fails with a log line", async () => {
    const { idpUrl } = await startSignIn("grace@example.com");
    const b = new Browser();
    const r = await idpSignIn(b, idpUrl, "grace@example.com", "wrong");
    expect(r.res.status).toBe(401);
    const denied = new URL("https://mdm.example.test/authenticate/callback");
    denied.searchParams.set("error", "access_denied");
    denied.searchParams.set("state", idpUrl.searchParams.get("state")!);
    const cb = await fetch(local(server, denied.toString()), { redirect: "manual" });
    expect(cb.status).toBe(403);
    expect(await db().enrollmentLog.count({ where: { reason: "auth_failed", message: { contains: "access_denied" } } })).toBe(1);
  });

  it("OAuth 2 flow (Apple's client, no PKCE) through the IdP ends with a 308 carrying code and state; an IdP error returns to the device too", async () => {
    const authorize = async (state: string) => {
      // Apple's parameters; the client id is the default setting's.
      const q = `response_type=code&client_id=apple-device-enrollment&redirect_uri=apple-remotemanagement-user-login:/oauth2/redirection&scope=mdm-byod&state=${state}&login_hint=grace@example.com`;
      const a = await fetch(`${server.url}/oauth2/authorize?${q}`, { redirect: "manual" });
      expect(a.status).toBe(302);
      const flow = new URL(a.headers.get("location")!).searchParams.get("flow")!;
      const start = await fetch(`${server.url}/authenticate/start`, form({ flow }));
      expect(start.status).toBe(303);
      return new URL(start.headers.get("location")!);
    };
    const idpUrl = await authorize("3F2504E0-4F89-11D3-9A0C-0305E82C3301");
    const back = await idpSignIn(new Browser(), idpUrl, "grace@example.com", "correct horse");
    const cb = await fetch(local(server, back.url), { redirect: "manual" });
    expect(cb.status).toBe(308);
    const loc = cb.headers.get("location")!;
    expect(loc.startsWith("apple-remotemanagement-user-login:/oauth2/redirection?")).toBe(true);
    const items = new URL(loc).searchParams;
    expect(items.get("state")).toBe("3F2504E0-4F89-11D3-9A0C-0305E82C3301");
    expect(items.get("code")).toMatch(/^adc_/);

    // The person cancels at the IdP: the device's sheet is closed with the error and its state.
    const denied = await authorize("9C5B94B1-35AD-49BB-B118-8E8FC24ABF80");
    const cancel = new URL("https://mdm.example.test/authenticate/callback");
    cancel.searchParams.set("error", "access_denied");
    cancel.searchParams.set("state", denied.searchParams.get("state")!);
    const res = await fetch(local(server, cancel.toString()), { redirect: "manual" });
    expect(res.status).toBe(308);
    const err = new URL(res.headers.get("location")!).searchParams;
    expect(err.get("error")).toBe("access_denied");
    expect(err.get("state")).toBe("9C5B94B1-35AD-49BB-B118-8E8FC24ABF80");
    expect(err.get("code")).toBeNull();
  });

  it("refuses forged or missing state", async () => {
    for (const q of ["", "?state=forged-state-value-0123456789&code=abc", "?code=abc"]) {
      const cb = await fetch(`${server.url}/authenticate/callback${q}`, { redirect: "manual" });
      expect(cb.status).toBe(400);
    }
  });
});
