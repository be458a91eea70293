// The person's sign-in during account-driven enrollment (seed 003 steps 6-11): the sign-in
// page's model, the IdP leg (authorization code + PKCE, state kept server-side) or the local
// password fallback, and the finish: an access token in a 308 to
// apple-remotemanagement-user-login://authentication-results (simple method) or a 308 to
// the OAuth redirect URI with the authorization code and state (OAuth 2 method). A sign-in
// of an OAuth 2 flow that fails after the flow is known also returns to the device (308
// with error=access_denied and the state), so its web sheet closes with an error.
import { config } from "../config";
import { db } from "../db/client";
import { SignInLimiter } from "../http/failureLimiter";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { ReasonCode } from "../log/reasons";
import { verifyPassword } from "../secrets/hash";
import { issueAccessToken, type EnrollmentVersion } from "./accessTokens";
import { refusalDescription, type AuthRefusal, type AuthResult } from "./authResult";
import { consumeFlow, createFlow, peekFlow, type FlowData } from "./authFlows";
import { issueAuthorizationCode, oauthError, redirectToClient } from "./oauth";
import { authorizationRequest, completeSignIn, OidcError, type IdpIdentity } from "./oidcClient";
import { resolveRoute, userRoutedTo } from "./routes";
import { termsToAccept, termsVersion, type TermsToAccept } from "./terms";
import { localPasswordHash, parseIdentifier, upsertSignedInUser } from "./users";

export type SignInMode = "byod" | "adde";

export const MODE_VERSION: Record<SignInMode, EnrollmentVersion> = { byod: "mdm-byod", adde: "mdm-adde" };
export const VERSION_MODE: Record<EnrollmentVersion, SignInMode> = { "mdm-byod": "byod", "mdm-adde": "adde" };

export function isSignInMode(v: unknown): v is SignInMode {
  return v === "byod" || v === "adde";
}

export const CALLBACK_SCHEME = "apple-remotemanagement-user-login";

/** The web-auth URL the 401 names (the device adds ?user-identifier=…). */
export function webAuthUrl(version: EnrollmentVersion): string {
  return `${config().publicUrl}/authenticate/${VERSION_MODE[version]}`;
}

export function idpRedirectUri(): string {
  return `${config().publicUrl}/authenticate/callback`;
}

export interface SignInPageModel {
  ok: true;
  identifier: string | null;
  version: EnrollmentVersion;
  mode: SignInMode;
  /** OAuth 2 flows: the handle the page's forms carry. */
  flow: string | null;
  idpName: string | null;
  localSignIn: boolean;
  error: string | null;
  /** The ?error= code behind `error` (its end-user string is signin.err.<code>). */
  errorCode: string | null;
  /** Terms of the routing rule for this identifier, to accept before signing in. */
  terms: TermsToAccept | null;
}

/** Why the sign-in page cannot be shown; `code` names its end-user strings (signin.err.<code>.*, lib/i18n). */
export type SignInPageRefusal = { ok: false; status: 400 | 403; code: "not_set_up" | "expired" | "bad_identifier" | "not_available"; vars?: Record<string, string>; title: string; message: string };
export type SignInPageResult = SignInPageModel | SignInPageRefusal;

const PAGE_ERRORS: Record<string, string> = {
  invalid_credentials: "The user name or password is not correct.",
  too_many_attempts: "Too many failed sign-ins. Wait 15 minutes or ask your IT team.",
  idp_failed: "Signing in with your organisation did not work. Try again.",
};

/** The terms of the routing rule that covers this identifier, if it has any. */
async function routeTerms(identifier: string | null): Promise<TermsToAccept | null> {
  const who = parseIdentifier(identifier);
  return who ? termsToAccept((await resolveRoute(who, null))?.terms) : null;
}

/**
 * What the sign-in page shows. `mode` comes from the web-auth URL's path (the BaseURL that
 * sent the device here decided it); without one the routing rules decide by identifier.
 */
export async function signInPage(q: { identifier?: string | null; mode?: string | null; flow?: string | null; error?: string | null }): Promise<SignInPageResult> {
  const cfg = config();
  const known = q.error && Object.hasOwn(PAGE_ERRORS, q.error) ? q.error : null;
  const common = { idpName: cfg.userOidc?.name ?? null, localSignIn: cfg.localUserSignIn, error: known ? PAGE_ERRORS[known] : null, errorCode: known };
  if (!cfg.userOidc && !cfg.localUserSignIn) {
    return { ok: false, status: 403, code: "not_set_up", title: "Sign-in is not set up", message: "This server has no sign-in method for enrollment. Ask your IT team." };
  }
  if (q.flow) {
    const flow = await peekFlow(q.flow);
    if (!flow) return { ok: false, status: 400, code: "expired", title: "This sign-in has expired", message: "The sign-in took too long or was already used." };
    return { ok: true, identifier: flow.identifier, version: flow.version, mode: VERSION_MODE[flow.version], flow: q.flow, terms: await routeTerms(flow.identifier), ...common };
  }
  const who = parseIdentifier(q.identifier);
  if (q.identifier && !who) return { ok: false, status: 400, code: "bad_identifier", title: "Check your account name", message: "Enter your work account as name@company.com." };
  let version: EnrollmentVersion;
  if (isSignInMode(q.mode)) version = MODE_VERSION[q.mode];
  else if (who) {
    const route = await resolveRoute(who, null);
    if (!route)
      return {
        ok: false,
        status: 403,
        code: "not_available",
        vars: { domain: who.domain },
        title: "Enrollment is not available",
        message: `Accounts at ${who.domain} cannot enroll with this server.`,
      };
    version = route.version;
  } else version = "mdm-byod";
  return { ok: true, identifier: who?.identifier ?? null, version, mode: VERSION_MODE[version], flow: null, terms: await routeTerms(who?.identifier ?? null), ...common };
}

interface SignInForm {
  identifier?: string | null;
  mode?: string | null;
  flow?: string | null;
  password?: string | null;
  remoteAddr?: string | null;
  /** The terms version ticked on the page, if any. */
  acceptedTerms?: string | null;
}

function pageUrl(form: SignInForm, error?: string): string {
  const u = new URL(`${config().publicUrl}/authenticate${form.flow ? "" : isSignInMode(form.mode) ? `/${form.mode}` : ""}`);
  if (form.flow) u.searchParams.set("flow", form.flow);
  else if (form.identifier) u.searchParams.set("user-identifier", form.identifier);
  if (error) u.searchParams.set("error", error);
  return u.toString();
}

/** `page`: what the person is told (signin.fail.<code>.*, in the device's language). */
function fail(
  status: 400 | 401 | 403 | 502,
  reason: ReasonCode,
  logMessage: string,
  user: string | null,
  remoteAddr: string | null | undefined,
  page: { code: AuthRefusal; vars?: Record<string, string> },
  flow?: FlowData | null,
): Promise<AuthResult> {
  return writeEnrollmentLog({ step: "adde.signin", outcome: "ERROR", reason, message: logMessage, userIdentifier: user, remoteAddr }).then(() =>
    // An OAuth 2 client learns of the failure on its redirect URL (RFC 6749 4.1.2.1); the simple method has no error callback.
    flow?.kind === "oauth" ? oauthError(flow.redirectUri, flow.state, "access_denied", refusalDescription(page.code, page.vars)) : { kind: "error", status, ...page },
  );
}

/** The flow a form continues: the OAuth flow it names, or a new simple-method flow. */
async function flowFromForm(form: SignInForm, take: boolean): Promise<FlowData | null> {
  if (form.flow) return take ? consumeFlow(form.flow) : peekFlow(form.flow);
  if (!isSignInMode(form.mode)) return null;
  const who = parseIdentifier(form.identifier);
  // An identifier that is there must be valid; none at all lets the IdP say who signs in.
  if (form.identifier && !who) return null;
  return { kind: "simple", version: MODE_VERSION[form.mode], identifier: who?.identifier ?? null };
}

/** "Continue with <IdP>": keeps the flow server-side under a fresh state and redirects to the IdP. */
export async function startIdpSignIn(form: SignInForm): Promise<AuthResult> {
  const oidc = config().userOidc;
  if (!oidc) return { kind: "error", status: 400, code: "sso_off" };
  const flow = await flowFromForm(form, true);
  if (!flow) {
    return fail(400, "auth_state_invalid", "sign-in start without a valid identifier/mode or with an expired flow", form.identifier ?? null, form.remoteAddr, { code: "bad_start" });
  }
  // The state handle is generated by createFlow; the IdP request needs it, so build it after.
  let req: Awaited<ReturnType<typeof authorizationRequest>>;
  try {
    req = await authorizationRequest(oidc, { redirectUri: idpRedirectUri(), state: "pending", loginHint: flow.identifier });
  } catch (err) {
    return fail(502, "auth_failed", `identity provider unavailable: ${(err as Error).message}`, flow.identifier, form.remoteAddr, { code: "unavailable" });
  }
  const state = await createFlow({ ...flow, acceptedTerms: form.acceptedTerms ?? null, idp: { codeVerifier: req.codeVerifier, nonce: req.nonce } });
  const url = new URL(req.url);
  url.searchParams.set("state", state);
  return { kind: "redirect", status: 303, location: url.toString() };
}

/** The IdP's redirect back: exchange the code, verify the id_token, finish the flow. */
export async function idpCallback(params: URLSearchParams, remoteAddr?: string | null): Promise<AuthResult> {
  const oidc = config().userOidc;
  const flow = await consumeFlow(params.get("state"));
  if (!flow?.idp || !oidc) {
    return fail(400, "auth_state_invalid", "identity provider callback with an unknown, expired or reused state", null, remoteAddr, { code: "expired" });
  }
  const idpError = params.get("error");
  const code = params.get("code");
  if (idpError || !code) {
    return fail(
      403,
      "auth_failed",
      `identity provider returned ${idpError ?? "no code"}${params.get("error_description") ? `: ${params.get("error_description")}` : ""}`,
      flow.identifier,
      remoteAddr,
      { code: "incomplete" },
      flow,
    );
  }
  let identity: IdpIdentity;
  try {
    identity = await completeSignIn(oidc, { code, redirectUri: idpRedirectUri(), codeVerifier: flow.idp.codeVerifier, nonce: flow.idp.nonce });
  } catch (err) {
    const msg = err instanceof OidcError ? err.message : `unexpected: ${(err as Error).message}`;
    return fail(403, "auth_failed", `identity provider sign-in failed: ${msg}`, flow.identifier, remoteAddr, { code: "unverified" }, flow);
  }
  const names = [identity.email, ...identity.aliases].filter((x): x is string => !!x);
  const identifier = flow.identifier ?? identity.email;
  if (!identifier || !names.includes(identifier)) {
    return fail(
      403,
      "auth_identity_mismatch",
      `signed in at the IdP as ${names.join(", ") || identity.subject}, but the device asked to enroll ${flow.identifier ?? "(no identifier)"}`,
      flow.identifier ?? identity.email,
      remoteAddr,
      // Without an email from the IdP (or a device that named no account) there is no "as whom" to show.
      names[0] && flow.identifier ? { code: "wrong_account", vars: { signedIn: names[0], enrolling: flow.identifier } } : { code: "no_email" },
      flow,
    );
  }
  return finish(flow, identifier, { idpSubject: identity.subject, displayName: identity.name, method: `identity provider ${oidc.name}` }, remoteAddr);
}

/** Failed local sign-ins for an identifier (from one address, or from many) before it is refused. */
export const LOCAL_MAX_FAILURES = 10;
export const LOCAL_FAILURE_WINDOW_MINUTES = 15;
/** Failed local sign-ins from one client address, whatever the identifier (password spraying). */
export const LOCAL_MAX_FAILURES_PER_ADDRESS = 30;

// Counted in the shared RateCounter table, not from the enrollment log: a refusal adds no
// failure, so a lockout ends, and an address that never failed is not locked out by others.
const localSignInLimiter = new SignInLimiter("local-signin", {
  perPair: LOCAL_MAX_FAILURES,
  perAccount: LOCAL_MAX_FAILURES,
  perAddress: LOCAL_MAX_FAILURES_PER_ADDRESS,
  windowMs: LOCAL_FAILURE_WINDOW_MINUTES * 60_000,
});

/** The local-user fallback: an admin-set password on the User row. */
export async function localSignIn(form: SignInForm): Promise<AuthResult> {
  if (!config().localUserSignIn) return { kind: "error", status: 403, code: "password_off" };
  const flow = await flowFromForm(form, false);
  if (!flow) {
    return fail(400, "auth_state_invalid", "local sign-in without a valid identifier/mode or with an expired flow", form.identifier ?? null, form.remoteAddr, { code: "bad_start" });
  }
  // The typed identifier decides who signs in; an OAuth flow without login_hint takes the form's.
  const identifier = flow.identifier ?? parseIdentifier(form.identifier)?.identifier ?? null;
  const account = identifier ?? "";
  const remoteAddr = form.remoteAddr ?? null;
  const limit = await localSignInLimiter.check(account, remoteAddr);
  if (limit.blocked) {
    const why =
      limit.scope === "address"
        ? `${LOCAL_MAX_FAILURES_PER_ADDRESS} failed attempts from this address`
        : limit.scope === "account"
          ? `${LOCAL_MAX_FAILURES} failed attempts for this account, some from this address,`
          : `${LOCAL_MAX_FAILURES} failed attempts from this address for this account`;
    await writeEnrollmentLog({
      step: "adde.signin",
      outcome: "ERROR",
      reason: "auth_failed",
      message: `local sign-in for ${identifier ?? "(no identifier)"} refused: ${why} in ${LOCAL_FAILURE_WINDOW_MINUTES} minutes (retry in ${limit.retryAfterSeconds} s)`,
      userIdentifier: identifier,
      remoteAddr: form.remoteAddr,
    });
    return { kind: "redirect", status: 303, location: pageUrl({ ...form, identifier: identifier ?? form.identifier }, "too_many_attempts") };
  }
  const user = identifier ? await db().user.findUnique({ where: { identifier } }) : null;
  const ok = await verifyPassword(form.password ?? "", user ? localPasswordHash(user) : null);
  if (!ok || !identifier) {
    await localSignInLimiter.fail(account, remoteAddr);
    await writeEnrollmentLog({
      step: "adde.signin",
      outcome: "ERROR",
      reason: "auth_failed",
      message: `local sign-in failed for ${identifier ?? "(no identifier)"}: ${user && localPasswordHash(user) ? "wrong password" : "no local account with a password"}`,
      userIdentifier: identifier,
      remoteAddr: form.remoteAddr,
    });
    return { kind: "redirect", status: 303, location: pageUrl({ ...form, identifier: identifier ?? form.identifier }, "invalid_credentials") };
  }
  await localSignInLimiter.succeed(identifier, remoteAddr);
  if (form.flow && !(await consumeFlow(form.flow))) {
    return fail(400, "auth_state_invalid", "local sign-in for a flow that was completed meanwhile", identifier, form.remoteAddr, { code: "expired" });
  }
  return finish({ ...flow, acceptedTerms: form.acceptedTerms ?? null }, identifier, { method: "local password" }, form.remoteAddr);
}

async function finish(flow: FlowData, identifier: string, who: { idpSubject?: string; displayName?: string | null; method: string }, remoteAddr: string | null | undefined): Promise<AuthResult> {
  const parsed = parseIdentifier(identifier);
  if (!parsed || !(await userRoutedTo(parsed.identifier, flow.version))) {
    return fail(
      403,
      "discovery_unknown_domain",
      `${identifier} signed in, but no enabled account-driven routing rule gives it ${flow.version}`,
      identifier,
      remoteAddr,
      { code: "not_available" },
      flow,
    );
  }
  const user = await upsertSignedInUser(parsed.identifier, { idpSubject: who.idpSubject, displayName: who.displayName });
  const refusal = await governanceRefusal(flow, user, remoteAddr);
  if (refusal) return refusal;
  await writeEnrollmentLog({
    step: "adde.signin",
    outcome: "OK",
    message: `${user.identifier} signed in with ${who.method} (${flow.version}, ${flow.kind === "oauth" ? "OAuth 2" : "simple"} method)`,
    userIdentifier: user.identifier,
    remoteAddr,
  });
  if (flow.kind === "oauth") return redirectToClient(flow.redirectUri, { code: await issueAuthorizationCode(user.id, flow) }, flow.state);
  const token = await issueAccessToken(user.id, flow.version);
  await writeEnrollmentLog({
    step: "adde.token",
    outcome: "OK",
    message: `access token issued to ${user.identifier} for ${flow.version} (simple method)`,
    userIdentifier: user.identifier,
    remoteAddr,
  });
  return { kind: "redirect", status: 308, location: `${CALLBACK_SCHEME}://authentication-results?access-token=${encodeURIComponent(token)}` };
}

/**
 * The routing rule's terms: the ticked version must be the current text's; the acceptance is
 * recorded on the user and copied onto the device at Authenticate. (The device limit is
 * checked at Authenticate, not here: a device already enrolled must be able to sign in again
 * when its refresh token fails, and only Authenticate knows which device it is.)
 */
async function governanceRefusal(flow: FlowData, user: { id: string; identifier: string }, remoteAddr: string | null | undefined): Promise<AuthResult | null> {
  const who = parseIdentifier(user.identifier);
  const route = who ? await resolveRoute(who, null) : null;
  if (route?.terms) {
    const version = termsVersion(route.terms);
    if (flow.acceptedTerms !== version) {
      const why = flow.acceptedTerms ? "an older version of the terms was accepted (the text changed since the page was opened)" : "the terms were not accepted";
      return fail(403, "terms_not_accepted", `${user.identifier} signed in, but ${why}. Fix: the person starts again and ticks "I accept"`, user.identifier, remoteAddr, { code: "terms" }, flow);
    }
    await db().user.update({ where: { id: user.id }, data: { termsHash: version, termsAcceptedAt: new Date() } });
    await writeEnrollmentLog({ step: "adde.signin", outcome: "OK", message: `${user.identifier} accepted the terms (version ${version.slice(0, 12)})`, userIdentifier: user.identifier, remoteAddr });
  }
  return null;
}
