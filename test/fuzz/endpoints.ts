// Every public endpoint the fuzz suite drives, with the inputs it draws for each: the real
// seeds (test/fuzz/seeds.ts) mutated by the format-aware arbitraries of test/fuzz/mutate.ts,
// plus wrong methods, content types and odd headers. Weights share FUZZ_RUNS out.
//
// ACME (app/acme/[...path]): requests signed afresh by the prepare step (a new nonce, the
// request's URL), mutated payloads, and mutations of a real flattened JWS.
import fc from "fast-check";
import { endUserContext } from "@/lib/enrollment/enrollPage";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { parseQuery } from "@/lib/http/query";
import { type Endpoint, type FuzzRequest, type Method, type RouteModule, requestArb, routeModule } from "./harness";
import { contentType, derInput, garbageBytes, headerValue, jwtInput, mutateBytes, nastyString, oddHeaders, paramsInput, pct, peerAddress, plistInput } from "./mutate";
import type { Seeds } from "./seeds";

const enc = new TextEncoder();
/** Marker header: the ACME prepare step signs the body as a fresh JWS (value: which key form). */
const ACME_SIGN = "x-fuzz-acme-sign";
/** An id the ACME routes accept by form (unknown to the database). */
const acmeId = "cl0fuzz0000000000000000000";

/** ACME payloads: the fields RFC 8555 requests carry, with hostile values; empty is POST-as-GET. */
const acmePayload: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    fc.constant(""),
    fc.constant("{}"),
    fc.constant(JSON.stringify({ identifiers: [{ type: "permanent-identifier", value: "00008030-001A2B3C4D5E6F7A" }] })),
    fc.record({ termsOfServiceAgreed: fc.oneof(fc.boolean(), nastyString), contact: fc.array(nastyString, { maxLength: 3 }), onlyReturnExisting: fc.boolean() }).map((o) => JSON.stringify(o)),
    fc
      .array(fc.record({ type: fc.constantFrom("permanent-identifier", "dns", "ip", "hardware-module", ""), value: nastyString }), { maxLength: 3 })
      .map((identifiers) => JSON.stringify({ identifiers })),
    fc.uint8Array({ maxLength: 600 }).map((b) => JSON.stringify({ csr: Buffer.from(b).toString("base64url") })),
    fc.uint8Array({ maxLength: 600 }).map((b) => JSON.stringify({ attObj: Buffer.from(b).toString("base64url"), error: {} })),
    fc.record({ status: fc.constantFrom("deactivated", "valid", "x") }).map((o) => JSON.stringify(o)),
    fc.json({ maxDepth: 3 }),
  )
  .map((t) => enc.encode(t));

/** A flattened JWS as compact (protected.payload.signature), so the JWT mutators apply to it. */
function flattenedAsCompact(bytes: Uint8Array): string {
  const j = JSON.parse(new TextDecoder().decode(bytes)) as { protected: string; payload: string; signature: string };
  return `${j.protected}.${j.payload}.${j.signature}`;
}

function compactAsFlattened(compact: string): string {
  const [p, payload, signature] = compact.split(".");
  return JSON.stringify({ protected: p, payload: payload ?? "", signature: signature ?? "" });
}

/** Placeholder the check-in endpoints' prepare step replaces with a valid Mdm-Signature over the final body. */
export const SIGN_BODY = "<sign-body>";

/** A path segment: the real one, edited, hostile text (encoded or raw), or broken escapes. */
function segment(real: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(pct(real)) },
    { weight: 2, arbitrary: nastyString.filter((s) => s.length > 0).map(pct) },
    {
      weight: 1,
      arbitrary: mutateBytes(enc.encode(real)).map((b) => pct(Buffer.from(b).toString("latin1")) || "x"),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("%zz", "%E0%A4%A", "%FF", "%", "..", ".", "%2e%2e", "a%2Fb", "%00", "x".repeat(5000)),
    },
  );
}

/** Headers every request may carry: the peer address, odd extras. */
function baseHeaders(extra: fc.Arbitrary<Record<string, string>> = fc.constant({})): fc.Arbitrary<Record<string, string>> {
  return fc.tuple(peerAddress, oddHeaders, extra).map(([peer, odd, x]) => ({ ...odd, ...x, "x-enroll-peer": peer }));
}

const maybe = (key: string, value: fc.Arbitrary<string | null>): fc.Arbitrary<Record<string, string>> => value.map((v) => (v === null ? {} : { [key]: v }));

const mostly = <T>(value: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ weight: 4, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: other });

/** Mostly the endpoint's method; now and then another (Next answers those 405 without our code). */
const anyMethod = (usual: Method): fc.Arbitrary<Method> =>
  fc.oneof(
    { weight: 15, arbitrary: fc.constant(usual) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Method>("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
    },
  );

function agentHeaders(): fc.Arbitrary<Record<string, string>> {
  return fc
    .tuple(
      fc.constantFrom(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0",
        "",
      ),
      fc.constantFrom("en-US,en;q=0.9", "de-CH, fr;q=0.5", "*", "xx-YY;q=abc", "ja"),
      fc.constantFrom("br, gzip", "gzip;q=0", "identity", "*;q=0", ""),
    )
    .map(([ua, lang, ae]) => ({
      "user-agent": ua,
      "accept-language": lang,
      "accept-encoding": ae,
    }));
}

/**
 * Every fuzzed endpoint, its share of FUZZ_RUNS (relative weight) and the test file that runs
 * it: "device" (test/fuzz/deviceProtocols.test.ts) and "web" (test/fuzz/webEnrollment.test.ts)
 * run in parallel, one per core. ACME belongs to "device".
 */
export const FUZZ_PLAN = {
  "SCEP GET /scep/[id]": { weight: 8, part: "device" },
  "SCEP POST /scep/[id] PKIOperation": { weight: 12, part: "device" },
  "NDES GET /ndes/[id]": { weight: 5, part: "device" },
  "MDM check-in PUT /mdm/checkin": { weight: 14, part: "device" },
  "MDM connect PUT /mdm/connect": { weight: 10, part: "device" },
  "OCSP POST /ocsp": { weight: 3, part: "device" },
  "OCSP GET /ocsp/[...request]": { weight: 3, part: "device" },
  "CA GET /ca": { weight: 1, part: "device" },
  "CA GET /ca.pem": { weight: 1, part: "device" },
  "CRL GET /ca.crl": { weight: 1, part: "device" },
  "ACME /acme/[...path]": { weight: 6, part: "device" },
  "enroll page GET /enroll": { weight: 8, part: "web" },
  "short link GET /e/[id]": { weight: 5, part: "web" },
  "profile download GET /enroll/profile": { weight: 8, part: "web" },
  "root profile GET /enroll/root-profile": { weight: 1, part: "web" },
  "account-driven POST /adde/[mode]": { weight: 6, part: "web" },
  "authenticate page GET /authenticate": { weight: 3, part: "web" },
  "authenticate POST /authenticate/start": { weight: 3, part: "web" },
  "authenticate POST /authenticate/local": { weight: 3, part: "web" },
  "authenticate GET /authenticate/callback": { weight: 3, part: "web" },
  "OAuth GET /oauth2/authorize": { weight: 5, part: "web" },
  "OAuth POST /oauth2/token": { weight: 5, part: "web" },
  "well-known GET /.well-known/com.apple.remotemanagement": {
    weight: 5,
    part: "web",
  },
  "ESSO GET /esso": { weight: 1, part: "web" },
  "logo GET /branding/logo": { weight: 1, part: "web" },
} as const satisfies Record<string, { weight: number; part: "device" | "web" }>;

export type EndpointName = keyof typeof FUZZ_PLAN;

/** How many of FUZZ_RUNS inputs one endpoint gets. */
export function runsFor(name: EndpointName, runs: number): number {
  const sum = Object.values(FUZZ_PLAN).reduce((n, p) => n + p.weight, 0);
  return Math.max(1, Math.round((runs * FUZZ_PLAN[name].weight) / sum));
}

export interface FuzzEndpoint extends Endpoint {
  name: EndpointName;
  /** Turns placeholders into real values that need async work (signatures over the mutated body). */
  prepare?: (r: FuzzRequest) => Promise<FuzzRequest>;
}

/** The mobile sign-in page (app/authenticate/page.tsx) as the route it is: the page's lib call. */
function signInPageModule(): RouteModule {
  return {
    // biome-ignore lint/correctness/noComponentHookFactories: a route handler named GET, not a React component
    GET: async (request) => {
      const q = parseQuery(new URL(request.url).search);
      await endUserContext(request.headers.get("accept-language"));
      const r = await signInPage({
        identifier: q.get("user-identifier"),
        mode: q.get("mode"),
        flow: q.get("flow"),
        error: q.get("error"),
      });
      return new Response(null, {
        status: "ok" in r && r.ok === false ? r.status : 200,
      });
    },
  };
}

export async function publicEndpoints(s: Seeds): Promise<FuzzEndpoint[]> {
  const [
    enrollPage,
    shortLink,
    profile,
    rootProfile,
    scep,
    ndes,
    checkin,
    connect,
    adde,
    authStart,
    authLocal,
    authCallback,
    authorize,
    token,
    wellKnown,
    esso,
    ocsp,
    ocspGet,
    ca,
    caPem,
    caCrl,
    logo,
    acme,
  ] = await Promise.all(
    [
      import("@/app/enroll/route"),
      import("@/app/e/[id]/route"),
      import("@/app/enroll/profile/route"),
      import("@/app/enroll/root-profile/route"),
      import("@/app/scep/[id]/route"),
      import("@/app/ndes/[id]/route"),
      import("@/app/mdm/checkin/route"),
      import("@/app/mdm/connect/route"),
      import("@/app/adde/[mode]/route"),
      import("@/app/authenticate/start/route"),
      import("@/app/authenticate/local/route"),
      import("@/app/authenticate/callback/route"),
      import("@/app/oauth2/authorize/route"),
      import("@/app/oauth2/token/route"),
      import("@/app/.well-known/com.apple.remotemanagement/route"),
      import("@/app/esso/route"),
      import("@/app/ocsp/route"),
      import("@/app/ocsp/[...request]/route"),
      import("@/app/ca/route"),
      import("@/app/ca.pem/route"),
      import("@/app/ca.crl/route"),
      import("@/app/branding/logo/route"),
      import("@/app/acme/[...path]/route"),
    ].map(routeModule),
  );

  const jwt = jwtInput(s.jwt);
  const form = "application/x-www-form-urlencoded";
  const formBody = (seed: Record<string, string>) => fc.oneof({ weight: 5, arbitrary: paramsInput(seed).map((t) => enc.encode(t)) }, { weight: 1, arbitrary: garbageBytes(1024 * 1024) });

  // Check-in and command bodies: a valid signature over the mutated body (deep paths), the seed's
  // signature (mismatch), an edited CMS, junk, or none; sometimes the client-certificate header.
  const signatures = await Promise.all(s.checkins.map((b) => s.device.sign(b)));
  const signature: fc.Arbitrary<string | null> = fc.oneof(
    { weight: 6, arbitrary: fc.constant(SIGN_BODY) },
    { weight: 1, arbitrary: fc.constantFrom(...signatures) },
    {
      weight: 2,
      arbitrary: fc.oneof(...signatures.map((sig) => derInput(new Uint8Array(Buffer.from(sig, "base64"))))).map((d) => Buffer.from(d).toString("base64")),
    },
    { weight: 1, arbitrary: headerValue },
    { weight: 1, arbitrary: fc.constant(null) },
  );
  const clientCert = maybe(
    "x-client-cert",
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: fc.constant(pct(s.deviceCertPem)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom("%zz", "%E0%A4%A", "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----"),
      },
      { weight: 1, arbitrary: headerValue },
    ),
  );
  const mdmHeaders = (type: string) =>
    baseHeaders(
      fc
        .tuple(
          maybe("mdm-signature", signature),
          maybe("content-type", contentType(type)),
          clientCert,
          maybe("authorization", fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(`Bearer ${s.bearer}`) }, { weight: 1, arbitrary: headerValue })),
        )
        .map(([a, b, c, d]) => ({ ...a, ...b, ...c, ...d })),
    );
  const signBody = async (r: FuzzRequest): Promise<FuzzRequest> =>
    r.headers["mdm-signature"] === SIGN_BODY
      ? {
          ...r,
          headers: {
            ...r.headers,
            "mdm-signature": await s.device.sign(r.body ?? new Uint8Array(0)),
          },
        }
      : r;

  const scepOps = fc.constantFrom("GetCACaps", "GetCACert", "PKIOperation", "PKIOperation", "PKIOperation", "GetNextCACert", "", "pkioperation");
  const profileIds = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.constantFrom(s.staticProfileId, s.dynamicProfileId, s.ndesProfileId),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  );
  // Arbitraries built once per seed (chain() would rebuild them for every input).
  const pkiMessage = fc.oneof(...s.pkiMessages.map(derInput));

  const endpoints: FuzzEndpoint[] = [
    {
      name: "enroll page GET /enroll",
      pattern: "/enroll",
      module: enrollPage,
      input: requestArb({
        method: anyMethod("GET"),
        path: fc
          .tuple(jwt, fc.constantFrom("", "ios", "macos", "tvos", "%FF"), fc.constantFrom("", "de", "xx"))
          .map(([t, p, l]) => `/enroll?token=${t}${p ? `&platform=${p}` : ""}${l ? `&lang=${l}` : ""}`),
        headers: baseHeaders(agentHeaders()),
      }),
    },
    {
      name: "short link GET /e/[id]",
      pattern: "/e/[id]",
      module: shortLink,
      input: requestArb({
        method: anyMethod("GET"),
        path: segment(s.shortId).map((id) => `/e/${id}`),
        headers: baseHeaders(agentHeaders()),
      }),
    },
    {
      name: "profile download GET /enroll/profile",
      pattern: "/enroll/profile",
      module: profile,
      input: requestArb({
        method: anyMethod("GET"),
        path: fc.tuple(jwt, fc.constantFrom("", "&platform=ios", "&platform=macos", "&platform=%%")).map(([t, p]) => `/enroll/profile?token=${t}${p}`),
        headers: baseHeaders(agentHeaders()),
      }),
    },
    {
      name: "root profile GET /enroll/root-profile",
      pattern: "/enroll/root-profile",
      module: rootProfile,
      input: requestArb({
        method: anyMethod("GET"),
        path: "/enroll/root-profile",
        headers: baseHeaders(agentHeaders()),
      }),
    },
    {
      name: "SCEP GET /scep/[id]",
      pattern: "/scep/[id]",
      module: scep,
      input: requestArb({
        method: "GET",
        path: fc
          .tuple(
            fc.oneof({ weight: 5, arbitrary: profileIds.map(pct) }, { weight: 1, arbitrary: segment(s.staticProfileId) }),
            scepOps,
            fc.oneof(
              pkiMessage.map((m) => pct(Buffer.from(m).toString("base64"))),
              nastyString.map(pct),
              fc.constantFrom("%%%", "", "AAAA", "===="),
            ),
          )
          .map(([id, op, msg]) => `/scep/${id}?operation=${op}&message=${msg}`),
        headers: baseHeaders(),
      }),
    },
    {
      name: "SCEP POST /scep/[id] PKIOperation",
      pattern: "/scep/[id]",
      module: scep,
      input: requestArb({
        method: anyMethod("POST"),
        path: fc.tuple(profileIds.map(pct), mostly("PKIOperation", scepOps)).map(([id, op]) => `/scep/${id}?operation=${op}`),
        headers: baseHeaders(maybe("content-type", contentType("application/x-pki-message"))),
        body: pkiMessage,
      }),
    },
    {
      name: "NDES GET /ndes/[id]",
      pattern: "/ndes/[id]",
      module: ndes,
      input: requestArb({
        method: anyMethod("GET"),
        path: fc.oneof({ weight: 4, arbitrary: fc.constant(s.ndesProfileId) }, { weight: 1, arbitrary: segment(s.ndesProfileId) }).map((id) => `/ndes/${id}`),
        headers: baseHeaders(
          maybe(
            "authorization",
            fc.oneof(
              { weight: 3, arbitrary: fc.constant(s.ndesAuth) },
              {
                weight: 3,
                arbitrary: mutateBytes(enc.encode(s.ndesAuth)).map((b) => Buffer.from(b).toString("latin1")),
              },
              {
                weight: 2,
                arbitrary: fc.tuple(nastyString, nastyString).map(([u, p]) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`),
              },
              { weight: 1, arbitrary: headerValue },
              { weight: 1, arbitrary: fc.constant(null) },
            ),
          ),
        ),
      }),
    },
    {
      name: "MDM check-in PUT /mdm/checkin",
      pattern: "/mdm/checkin",
      module: checkin,
      input: requestArb({
        method: anyMethod("PUT"),
        path: "/mdm/checkin",
        headers: mdmHeaders("application/x-apple-aspen-mdm-checkin"),
        body: fc.oneof(...s.checkins.map(plistInput)),
      }),
      prepare: signBody,
    },
    {
      name: "MDM connect PUT /mdm/connect",
      pattern: "/mdm/connect",
      module: connect,
      input: requestArb({
        method: anyMethod("PUT"),
        path: "/mdm/connect",
        headers: mdmHeaders("application/x-apple-aspen-mdm"),
        body: fc.oneof(...s.reports.map(plistInput)),
      }),
      prepare: signBody,
    },
    {
      name: "account-driven POST /adde/[mode]",
      pattern: "/adde/[mode]",
      module: adde,
      input: requestArb({
        method: anyMethod("POST"),
        path: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("byod", "adde") }, { weight: 1, arbitrary: segment("adde") }).map((m) => `/adde/${m}`),
        headers: baseHeaders(
          fc
            .tuple(
              maybe(
                "authorization",
                fc.oneof(
                  { weight: 3, arbitrary: fc.constant(`Bearer ${s.bearer}`) },
                  {
                    weight: 2,
                    arbitrary: mutateBytes(enc.encode(`Bearer ${s.bearer}`)).map((b) => Buffer.from(b).toString("latin1")),
                  },
                  { weight: 1, arbitrary: headerValue },
                  { weight: 1, arbitrary: fc.constant(null) },
                ),
              ),
              maybe("content-type", contentType("application/pkcs7-signature")),
            )
            .map(([a, b]) => ({ ...a, ...b })),
        ),
        body: plistInput(
          enc.encode(
            `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>LANGUAGE</key><string>en-US</string><key>PRODUCT</key><string>iPhone17,2</string><key>VERSION</key><string>19A240</string></dict></plist>`,
          ),
        ),
      }),
    },
    {
      name: "authenticate page GET /authenticate",
      pattern: "/authenticate",
      module: signInPageModule(),
      input: requestArb({
        method: "GET",
        path: paramsInput({
          "user-identifier": s.userIdentifier,
          mode: "byod",
          flow: "f",
          error: "",
        }).map((q) => `/authenticate?${q}`),
        headers: baseHeaders(agentHeaders()),
      }),
    },
    {
      name: "authenticate POST /authenticate/start",
      pattern: "/authenticate/start",
      module: authStart,
      input: requestArb({
        method: anyMethod("POST"),
        path: "/authenticate/start",
        headers: baseHeaders(maybe("content-type", contentType(form))),
        body: formBody({
          identifier: s.userIdentifier,
          mode: "byod",
          flow: "",
          acceptTerms: "on",
        }),
      }),
    },
    {
      name: "authenticate POST /authenticate/local",
      pattern: "/authenticate/local",
      module: authLocal,
      input: requestArb({
        method: anyMethod("POST"),
        path: "/authenticate/local",
        headers: baseHeaders(maybe("content-type", contentType(form))),
        body: formBody({
          identifier: s.userIdentifier,
          mode: "byod",
          flow: "",
          password: "fuzz-user-password",
          acceptTerms: "on",
        }),
      }),
    },
    {
      name: "authenticate GET /authenticate/callback",
      pattern: "/authenticate/callback",
      module: authCallback,
      input: requestArb({
        method: anyMethod("GET"),
        path: paramsInput({
          code: "abc",
          state: "xyz",
          error: "",
          iss: "https://idp.example",
        }).map((q) => `/authenticate/callback?${q}`),
        headers: baseHeaders(maybe("cookie", fc.oneof(fc.constant(null), headerValue))),
      }),
    },
    {
      name: "OAuth GET /oauth2/authorize",
      pattern: "/oauth2/authorize",
      module: authorize,
      input: requestArb({
        method: anyMethod("GET"),
        path: paramsInput({
          response_type: "code",
          client_id: s.oauthClientId,
          redirect_uri: s.oauthRedirect,
          scope: "mdm-byod",
          state: "4F3C",
          login_hint: s.userIdentifier,
          code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
          code_challenge_method: "S256",
        }).map((q) => `/oauth2/authorize?${q}`),
        headers: baseHeaders(agentHeaders()),
      }),
    },
    {
      name: "OAuth POST /oauth2/token",
      pattern: "/oauth2/token",
      module: token,
      input: requestArb({
        method: anyMethod("POST"),
        path: "/oauth2/token",
        headers: baseHeaders(maybe("content-type", contentType(form))),
        body: fc.oneof(
          formBody({
            grant_type: "authorization_code",
            code: "adc_abc",
            redirect_uri: s.oauthRedirect,
            client_id: s.oauthClientId,
            code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
          }),
          formBody({
            grant_type: "refresh_token",
            refresh_token: "adr_abc",
            client_id: s.oauthClientId,
          }),
        ),
      }),
    },
    {
      name: "well-known GET /.well-known/com.apple.remotemanagement",
      pattern: "/.well-known/com.apple.remotemanagement",
      module: wellKnown,
      input: requestArb({
        method: anyMethod("GET"),
        path: paramsInput({
          "user-identifier": s.userIdentifier,
          "model-family": "iPhone",
        }).map((q) => `/.well-known/com.apple.remotemanagement?${q}`),
        headers: baseHeaders(maybe("accept", fc.constantFrom(null, "application/json", "*/*", "text/html"))),
      }),
    },
    {
      name: "ESSO GET /esso",
      pattern: "/esso",
      module: esso,
      input: requestArb({
        method: anyMethod("GET"),
        path: fc.oneof(
          fc.constant("/esso"),
          nastyString.map((q) => `/esso?x=${pct(q)}`),
        ),
        headers: baseHeaders(),
      }),
    },
    {
      name: "OCSP POST /ocsp",
      pattern: "/ocsp",
      module: ocsp,
      input: requestArb({
        method: anyMethod("POST"),
        path: "/ocsp",
        headers: baseHeaders(maybe("content-type", contentType("application/ocsp-request"))),
        body: derInput(s.ocspRequest),
      }),
    },
    {
      name: "OCSP GET /ocsp/[...request]",
      pattern: "/ocsp/[...request]",
      module: ocspGet,
      input: requestArb({
        method: "GET",
        path: fc.oneof(
          derInput(s.ocspRequest).map((d) => `/ocsp/${pct(Buffer.from(d).toString("base64"))}`),
          derInput(s.ocspRequest).map((d) => `/ocsp/${Buffer.from(d).toString("base64")}`),
          segment("MEMwQTA").map((x) => `/ocsp/${x}`),
        ),
        headers: baseHeaders(),
      }),
    },
    {
      name: "CA GET /ca",
      pattern: "/ca",
      module: ca,
      input: requestArb({
        method: anyMethod("GET"),
        path: paramsInput({ message: "x", format: "der" }).map((q) => `/ca?${q}`),
        headers: baseHeaders(),
      }),
    },
    {
      name: "CA GET /ca.pem",
      pattern: "/ca.pem",
      module: caPem,
      input: requestArb({
        method: anyMethod("GET"),
        path: "/ca.pem",
        headers: baseHeaders(),
      }),
    },
    {
      name: "CRL GET /ca.crl",
      pattern: "/ca.crl",
      module: caCrl,
      input: requestArb({
        method: anyMethod("GET"),
        path: "/ca.crl",
        headers: baseHeaders(),
      }),
    },
    {
      name: "logo GET /branding/logo",
      pattern: "/branding/logo",
      module: logo,
      input: requestArb({
        method: anyMethod("GET"),
        path: paramsInput({ v: "1" }).map((q) => `/branding/logo?${q}`),
        headers: baseHeaders(),
      }),
    },
    {
      name: "ACME /acme/[...path]",
      pattern: "/acme/[...path]",
      module: acme,
      input: requestArb({
        method: fc.oneof({ weight: 8, arbitrary: fc.constant<Method>("POST") }, { weight: 2, arbitrary: fc.constantFrom<Method>("GET", "HEAD") }, { weight: 1, arbitrary: anyMethod("PUT") }),
        path: fc
          .tuple(
            fc.constantFrom(
              "directory",
              "new-nonce",
              "new-account",
              "new-order",
              "key-change",
              "revoke-cert",
              "acct/ID",
              "acct/ID/orders",
              "order/ID",
              "order/ID/finalize",
              "authz/ID",
              "chall/ID",
              "cert/ID",
            ),
            fc.oneof({ weight: 3, arbitrary: fc.constant(acmeId) }, { weight: 1, arbitrary: segment(acmeId) }),
          )
          .map(([route, id]) => `/acme/${route.replace("ID", id)}`),
        headers: baseHeaders(
          fc
            .tuple(
              maybe("content-type", contentType("application/jose+json")),
              // Most requests are signed afresh in prepare (a new nonce, this URL), so they get past the JWS checks.
              maybe(ACME_SIGN, fc.oneof({ weight: 6, arbitrary: fc.constantFrom("kid", "kid", "kid", "jwk", "kid-wrong-url", "jwk-and-kid") }, { weight: 3, arbitrary: fc.constant(null) })),
            )
            .map(([a, b]) => ({ ...a, ...b })),
        ),
        body: fc.oneof(
          { weight: 6, arbitrary: acmePayload },
          { weight: 2, arbitrary: mutateBytes(s.acme.newOrder) },
          { weight: 2, arbitrary: jwtInput(flattenedAsCompact(s.acme.newOrder)).map((c) => enc.encode(compactAsFlattened(c))) },
          { weight: 1, arbitrary: garbageBytes(64 * 1024) },
        ),
      }),
      prepare: async (r) => {
        const how = r.headers[ACME_SIGN];
        if (how === undefined) return r;
        const headers = { ...r.headers };
        delete headers[ACME_SIGN];
        const url = `${process.env.PUBLIC_URL ?? "https://mdm.example.test"}${r.path.split("?")[0]}`;
        const key = how.startsWith("jwk") ? { jwk: s.acme.jwk, ...(how === "jwk-and-kid" ? { kid: s.acme.kid } : {}) } : { kid: s.acme.kid };
        const body = await s.acme.sign(how === "kid-wrong-url" ? `${url}x` : url, r.body ?? new Uint8Array(0), key);
        return { ...r, headers, body: enc.encode(body) };
      },
    },
  ];
  return endpoints;
}
