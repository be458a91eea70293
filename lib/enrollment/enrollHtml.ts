// The enroll page and its error pages as plain HTML + CSS: no JavaScript, so the page works
// in any browser (JavaScript off, in-app web views) and weighs a few KB. Pure functions of
// their model; the strings come translated (lib/i18n), every value is escaped here.
import type { Translate } from "../i18n";
import type { SupportLink } from "../settings/branding";
import type { EnrollPlatform } from "./platform";
import type { TermsBlock, TermsInline, TermsToAccept } from "./terms";

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Escaped text with the catalogues' **bold** marks turned into <strong>. */
function rich(s: string): string {
  return esc(s).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
}

const CSS = `:root{color-scheme:light dark;--fg:#0f172a;--muted:#475569;--bg:#f8fafc;--card:#fff;--line:#e2e8f0;--brand:#1e63d6;--btn:#1e63d6;--brand-fg:#fff;--tab:#e2e8f0;--warn-bg:#fffbeb;--warn-line:#fcd34d;--err-bg:#fef2f2;--err-line:#fecaca;--err-fg:#7f1d1d}
@media (prefers-color-scheme:dark){:root{--fg:#f1f5f9;--muted:#cbd5e1;--bg:#020617;--card:#0f172a;--line:#1e293b;--brand:#60a5fa;--btn:#2563eb;--tab:#1e293b;--warn-bg:#292005;--warn-line:#854d0e;--err-bg:#350a0a;--err-line:#7f1d1d;--err-fg:#fecaca}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",system-ui,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:28rem;margin:0 auto;padding:32px 16px 48px}header{margin-bottom:20px}.org{display:flex;align-items:center;gap:10px;font-size:.875rem;font-weight:600;color:var(--brand)}.org img{max-height:40px;max-width:160px}
h1{font-size:1.5rem;line-height:1.25;margin:6px 0 0}h2{font-size:1rem;margin:0 0 10px}p{margin:0 0 12px}a{color:var(--brand)}
.card{background:var(--card);border:1px solid var(--line);border-radius:16px;padding:20px;margin:16px 0}
.tabs{display:grid;grid-template-columns:1fr 1fr;gap:4px;background:var(--tab);border-radius:12px;padding:4px;margin-bottom:16px}.tabs a{display:block;text-align:center;padding:8px;border-radius:8px;font-size:.875rem;font-weight:500;color:var(--fg);text-decoration:none}.tabs a[aria-current]{background:var(--card);box-shadow:0 1px 2px #0002;text-decoration:underline}
ol{margin:0;padding-left:1.4em}li{margin:0 0 10px;font-size:.9375rem}.note{font-size:.875rem;color:var(--muted)}
.btn{display:block;width:100%;border:0;border-radius:12px;background:var(--btn);color:var(--brand-fg);font-family:inherit;font-size:1rem;font-weight:600;line-height:1.2;padding:15px 16px;cursor:pointer;text-align:center;text-decoration:none}
.hint{text-align:center;font-size:.875rem;color:var(--muted);margin-top:8px}
.notice{background:var(--warn-bg);border-color:var(--warn-line)}.notice input{width:100%;font:14px ui-monospace,monospace;padding:10px;border:1px solid var(--line);border-radius:8px;background:var(--card);color:var(--fg)}
.alert{background:var(--err-bg);border-color:var(--err-line)}.it{border-top:1px solid var(--err-line);padding-top:10px;margin-top:14px;font-size:.75rem;color:var(--err-fg)}
details{border:1px solid var(--line);border-radius:12px;padding:12px 16px;font-size:.875rem;margin:16px 0}summary{cursor:pointer;font-weight:600}dt{font-weight:600;margin-top:10px}dd{margin:0;color:var(--muted)}
.small{font-size:.8125rem;color:var(--muted)}
.terms{max-height:16rem;overflow-y:auto;font-size:.9375rem}.terms h3,.terms h4,.terms h5{font-size:1rem;margin:12px 0 6px}.terms ul{margin:0 0 12px;padding-left:1.4em}.terms code{font:.875em ui-monospace,monospace}
.accept{display:flex;gap:10px;align-items:flex-start;font-weight:600;font-size:.9375rem;margin:0 0 14px}.accept input{width:20px;height:20px;margin:2px 0 0;flex:none}`;

export interface PageFrame {
  lang: string;
  title: string;
  organization: string;
  logoUrl: string | null;
  heading: string;
  support: SupportLink | null;
  t: Translate;
}

function supportLine(f: PageFrame): string {
  if (!f.support) return `<p class="small">${esc(f.t("support.without"))}</p>`;
  const contact = f.support.href ? `<a href="${esc(f.support.href)}">${esc(f.support.text)}</a>` : esc(f.support.text);
  return `<p class="small" id="support">${esc(f.t("support.with", { contact: "\u0000" })).replace("\u0000", contact)}</p>`;
}

function documentHtml(f: PageFrame, body: string): string {
  const logo = f.logoUrl ? `<img src="${esc(f.logoUrl)}" alt="" height="40">` : "";
  return `<!doctype html>
<html lang="${esc(f.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer"><title>${esc(f.title)} · ${esc(f.organization)}</title>
<style>${CSS}</style></head><body><main><header><div class="org">${logo}<span>${esc(f.organization)}</span></div><h1>${esc(f.heading)}</h1></header>
${body}
${supportLine(f)}</main></body></html>`;
}

export interface EnrollPageModel {
  frame: PageFrame;
  /** Where the switch links and the copy field point: this page's own URL without ?platform. */
  selfUrl: string;
  platform: EnrollPlatform;
  client: "apple" | "ios-not-safari" | "not-apple";
  /** The JWT, posted by the one-tap form; hidden, never shown as text. */
  token: string;
  tokenName: string;
  expiresAt: string | null;
  rootProfileUrl: string | null;
  /** Per-person link: whom it was issued for. */
  personEmail: string | null;
  /** Terms to accept: the box is in the download form and required, so no script is needed. */
  terms: TermsToAccept | null;
}

function withPlatform(selfUrl: string, platform: EnrollPlatform): string {
  return `${selfUrl}${selfUrl.includes("?") ? "&" : "?"}platform=${platform}`;
}

function stepsFor(t: Translate, platform: EnrollPlatform): string {
  const items = [1, 2, 3, 4].map((n) => `<li>${rich(t(`steps.${platform}.${n}`))}</li>`).join("");
  const older = platform === "macos" ? `<p class="note">${rich(t("steps.macos.older"))}</p>` : "";
  return `<h2 id="steps-heading">${esc(t(`steps.${platform}.title`))}</h2><ol>${items}</ol>${older}`;
}

function inlineHtml(i: TermsInline): string {
  let h = esc(i.text);
  if (i.code) h = `<code>${h}</code>`;
  if (i.italic) h = `<em>${h}</em>`;
  if (i.bold) h = `<strong>${h}</strong>`;
  // The parser let only http(s)/mailto addresses through as links.
  if (i.href) h = `<a href="${esc(i.href)}" rel="noopener noreferrer" target="_blank">${h}</a>`;
  return h;
}

const inlinesHtml = (list: TermsInline[]) => list.map(inlineHtml).join("");

/** The admin's terms (parsed, lib/enrollment/terms.ts) as HTML: every text escaped, no markup of theirs. */
export function termsHtml(blocks: TermsBlock[]): string {
  return blocks
    .map((b) => {
      if (b.kind === "heading") return `<h${b.level + 2}>${inlinesHtml(b.inlines)}</h${b.level + 2}>`;
      if (b.kind === "list") {
        const tag = b.ordered ? "ol" : "ul";
        return `<${tag}>${b.items.map((item) => `<li>${inlinesHtml(item)}</li>`).join("")}</${tag}>`;
      }
      return `<p>${inlinesHtml(b.inlines)}</p>`;
    })
    .join("");
}

export function enrollPageHtml(m: EnrollPageModel): string {
  const { t } = m.frame;
  const parts: string[] = [];
  if (m.client === "ios-not-safari") {
    parts.push(`<section class="card notice" aria-labelledby="safari-heading"><h2 id="safari-heading">${esc(t("safari.title"))}</h2><p>${rich(t("safari.body"))}</p>
<label class="small" for="copy-link">${esc(t("safari.copyLabel"))}</label><input id="copy-link" readonly value="${esc(m.selfUrl)}" autocapitalize="none" spellcheck="false"></section>`);
  } else if (m.client === "not-apple") {
    parts.push(`<section class="card notice" aria-labelledby="apple-heading"><h2 id="apple-heading">${esc(t("notApple.title"))}</h2><p>${esc(t("notApple.body"))}</p></section>`);
  }
  parts.push(`<p>${esc(t("enroll.intro", { org: m.frame.organization }))}</p>`);
  const tab = (p: EnrollPlatform, label: string) => `<a href="${esc(withPlatform(m.selfUrl, p))}"${m.platform === p ? ' aria-current="page"' : ""}>${esc(label)}</a>`;
  parts.push(
    `<section class="card" aria-labelledby="steps-heading"><nav class="tabs" aria-label="${esc(t("enroll.switchLabel"))}">${tab("ios", t("enroll.switchIos"))}${tab("macos", t("enroll.switchMac"))}</nav>${stepsFor(t, m.platform)}</section>`,
  );
  if (m.personEmail) {
    parts.push(`<p class="card" id="person-notice">${esc(t("enroll.personNotice", { email: "\u0000" })).replace("\u0000", `<strong>${esc(m.personEmail)}</strong>`)}</p>`);
  }
  if (m.terms) {
    parts.push(
      `<section class="card" aria-labelledby="terms-heading"><h2 id="terms-heading">${esc(t("terms.title"))}</h2><div class="terms" tabindex="0" role="group" aria-label="${esc(t("terms.textLabel"))}">${termsHtml(m.terms.blocks)}</div></section>`,
    );
  }
  // The terms box belongs to the form: \`required\` stops an unticked tap without script; the server checks the version again.
  const accept = m.terms ? `<label class="accept"><input type="checkbox" name="acceptTerms" value="${esc(m.terms.version)}" required><span>${esc(t("terms.accept"))}</span></label>` : "";
  parts.push(
    `<form method="post" action="/enroll/profile"><input type="hidden" name="token" value="${esc(m.token)}">${accept}<button type="submit" class="btn">${esc(t("enroll.download"))}</button></form><p class="hint">${esc(t("enroll.downloadHint"))}</p>`,
  );
  const root = m.rootProfileUrl
    ? `<p>${esc(t("trust.rootIntro"))}</p><p><a href="${esc(m.rootProfileUrl)}" download>${esc(t("trust.rootDownload"))}</a></p><p class="note">${rich(t("trust.rootSteps"))}</p>`
    : "";
  parts.push(
    `<section class="card" aria-labelledby="trust-heading"><h2 id="trust-heading">${esc(t("trust.title"))}</h2><p class="note">${esc(t("trust.body", { org: m.frame.organization }))}</p>${root}</section>`,
  );
  const qa = ["install", "invalid", "hang"].map((k) => `<dt>${esc(t(`trouble.${k}.q`))}</dt><dd>${esc(t(`trouble.${k}.a`))}</dd>`).join("");
  parts.push(`<details><summary>${esc(t("trouble.title"))}</summary><dl>${qa}</dl></details>`);
  parts.push(`<p class="small">${esc(m.expiresAt ? t("enroll.linkInfoUntil", { name: m.tokenName, date: m.expiresAt }) : t("enroll.linkInfo", { name: m.tokenName }))}</p>`);
  return documentHtml(m.frame, parts.join("\n"));
}

export interface ProblemModel {
  frame: PageFrame;
  /** Plain words: what happened and what to do. */
  body: string;
  fix: string;
  /** For whoever helps the user: the admin-side fix and the reason code. */
  itFix: string | null;
  reason: string;
}

/** A message page in the end-user frame (the account-driven sign-in's refusals): message, then what to do. */
export function messagePageHtml(frame: PageFrame, message: string, next: string): string {
  return documentHtml(frame, `<section class="card alert" role="alert"><p>${esc(message)}</p><p><strong>${esc(next)}</strong></p></section>`);
}

/** An error page in the enroll page's frame; the frame's heading is the problem's title. */
export function problemPageHtml(m: ProblemModel): string {
  const { t } = m.frame;
  const it = m.itFix ? `<p class="it">${esc(t("error.itTeam"))}: ${esc(m.itFix)} (reason: <code>${esc(m.reason)}</code>)</p>` : `<p class="it">reason: <code>${esc(m.reason)}</code></p>`;
  return documentHtml(m.frame, `<section class="card alert" role="alert"><p>${esc(m.body)}</p><p><strong>${esc(m.fix)}</strong></p>${it}</section>`);
}
