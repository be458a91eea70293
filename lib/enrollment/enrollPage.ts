// The enroll page: verdict (otaService), branding, the visitor's language and device,
// rendered to static HTML (enrollHtml); app/_lib/enrollPages.ts sends it (compressed, with
// PAGE_HEADERS). Also the branded, translated error page every enroll-path refusal uses.
import { config } from "../config";
import type { HttpFile } from "../http/respond";
import { hasMessage, negotiateLocale, translator, type Translate } from "../i18n";
import { reasonInfo } from "../log/reasons";
import { getProfileTrust } from "../pki/trust";
import { buildRootProfile } from "../profiles/rootProfile";
import { signProfile } from "../profiles/signProfile";
import { getBranding, organizationDisplayName, supportLink, type SupportLink } from "../settings/branding";
import { brandingLogoUrl } from "../settings/brandingLogo";
import { enrollPageHtml, problemPageHtml, type PageFrame } from "./enrollHtml";
import { checkEnrollmentLink, checkShortEnrollmentLink, refusalStatus, type OtaContext } from "./otaService";
import { detectClient, parsePlatform } from "./platform";
import { shortEnrollmentUrl } from "./shortLinks";

/** Where a visitor came from: the full JWT link or a short link's id. */
export type EnrollLink = { kind: "jwt"; jwt: string | null } | { kind: "short"; shortId: string };

export const ROOT_PROFILE_PATH = "/enroll/root-profile";

/** Headers of every enroll-path HTML page. */
export const PAGE_HEADERS: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex, nofollow",
  // No script at all; styles inline; the form posts to us; images (the logo) from us.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/** What every end-user page (enroll, its errors, account-driven sign-in) shows around its content. */
export interface EndUserContext {
  lang: string;
  t: Translate;
  organization: string;
  logoUrl: string | null;
  support: SupportLink | null;
}

export async function endUserContext(acceptLanguage: string | null): Promise<EndUserContext> {
  const lang = negotiateLocale(acceptLanguage);
  const branding = await getBranding();
  return { lang, t: translator(lang), organization: await organizationDisplayName(branding), logoUrl: await brandingLogoUrl(), support: supportLink(branding.supportContact) };
}

/** Frame of the enroll path's pages: the end-user context plus heading and title. */
export async function pageFrame(acceptLanguage: string | null, heading: (t: Translate) => string, title?: (t: Translate) => string): Promise<PageFrame> {
  const ctx = await endUserContext(acceptLanguage);
  return { ...ctx, heading: heading(ctx.t), title: (title ?? heading)(ctx.t) };
}

/** Whether the page offers the root certificate profile: over http, or when the admin says the TLS chain is not publicly trusted. */
export async function offersRootProfile(): Promise<boolean> {
  return config().publicUrl.startsWith("http:") || (await getBranding()).offerRootProfile === true;
}

/**
 * The enroll path's error page: plain-words title, body and fix (catalogue keys
 * error.<reason>.*, or error.default.*), the support contact, and the admin-side fix.
 */
export async function problemPage(acceptLanguage: string | null, reason: string): Promise<string> {
  const key = hasMessage(`error.${reason}.title`) ? reason : "default";
  const frame = await pageFrame(acceptLanguage, (t) => t(`error.${key}.title`));
  const { t } = frame;
  return problemPageHtml({ frame, body: t(`error.${key}.body`), fix: t(`error.${key}.fix`), itFix: reasonInfo(reason)?.fix ?? null, reason });
}

function formatExpiry(date: Date, lang: string): string {
  try {
    return `${new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(date)} UTC`;
  } catch {
    return `${date.toISOString().replace("T", " ").slice(0, 16)} UTC`;
  }
}

/** What the enroll page needs of the request: its ?platform= and the visitor's headers. */
export interface EnrollVisitor {
  platform: string | null;
  userAgent: string | null;
  acceptLanguage: string | null;
}

/** The enroll page for a link, or the refusal's error page with its status. */
export async function enrollPage(link: EnrollLink, ctx: OtaContext, visitor: EnrollVisitor): Promise<{ status: number; html: string }> {
  const { verdict, jwt } = link.kind === "short" ? await checkShortEnrollmentLink(link.shortId, ctx) : { verdict: await checkEnrollmentLink(link.jwt, ctx), jwt: link.jwt };
  if (!verdict.ok || !jwt) {
    const reason = verdict.ok ? "token_unknown" : verdict.reason;
    return { status: verdict.ok ? 404 : refusalStatus(verdict.reason), html: await problemPage(visitor.acceptLanguage, reason) };
  }

  const client = detectClient(visitor.userAgent);
  const platform = parsePlatform(visitor.platform) ?? (client.kind === "apple" ? client.platform : "ios");
  const frame = await pageFrame(
    visitor.acceptLanguage,
    (t) => t("enroll.heading"),
    (t) => t("enroll.pageTitle"),
  );
  // Links on the page point at the public URL, the same one the admin shared.
  const selfUrl = link.kind === "short" ? shortEnrollmentUrl(link.shortId) : `${config().publicUrl}/enroll?token=${encodeURIComponent(jwt)}`;
  const html = enrollPageHtml({
    frame,
    selfUrl,
    platform,
    client: client.kind,
    token: jwt,
    tokenName: verdict.tokenName,
    expiresAt: verdict.expiresAt ? formatExpiry(verdict.expiresAt, frame.lang) : null,
    rootProfileUrl: (await offersRootProfile()) ? ROOT_PROFILE_PATH : null,
    personEmail: verdict.personEmail,
    terms: verdict.terms,
  });
  return { status: 200, html };
}

/** The signed root-certificate-only profile (public: the root certificate is public anyway). */
export async function rootProfileFile(): Promise<HttpFile> {
  const [trust, organization] = await Promise.all([getProfileTrust(), organizationDisplayName()]);
  const body = await signProfile(buildRootProfile({ organization, rootDer: trust.rootDer }));
  const stem =
    organization
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "enroll";
  return { body, contentType: "application/x-apple-aspen-config", filename: `${stem}-root-certificate.mobileconfig`, cacheControl: "no-store" };
}
