// The mobile sign-in page the device's web authentication session shows (seed 003 steps 6-10),
// in the device's language and with the organisation's branding (name, logo, support contact).
import type { Metadata } from "next";
import { headers } from "next/headers";
import { endUserContext, type EndUserContext } from "@/lib/enrollment/enrollPage";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { parseQuery, RAW_QUERY_HEADER } from "@/lib/http/query";
import { AcceptTermsBox, TermsPanel } from "@/components/terms/AcceptTerms";

type Search = Record<string, string | string[] | undefined>;

/** The query as the device sent it (proxy.ts); Next's searchParams would read "+" as a space. */
async function deviceQuery(search: Search): Promise<URLSearchParams> {
  const raw = (await headers()).get(RAW_QUERY_HEADER);
  if (raw !== null) return parseQuery(raw);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(search)) if (typeof v === "string") q.set(k, v);
  return q;
}

const input =
  "w-full rounded-lg border border-slate-300 bg-white px-3 py-3 text-base focus:border-blue-600 focus:outline-none focus:ring-2 focus:ring-blue-600/30 dark:border-slate-700 dark:bg-slate-900";
const primary = "w-full rounded-lg bg-blue-600 px-4 py-3 text-base font-semibold text-white hover:bg-blue-700 focus:outline-none focus:ring-2 focus:ring-blue-600/40";
const secondary = "w-full rounded-lg border border-slate-300 bg-white px-4 py-3 text-base font-semibold text-slate-900 hover:bg-slate-100 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";

/** The page title in the device's language, with the organisation's name (not ours). */
export async function signInMetadata(): Promise<Metadata> {
  const ctx = await endUserContext((await headers()).get("accept-language"));
  return { title: { absolute: `${ctx.t("signin.title")} · ${ctx.organization}` }, referrer: "no-referrer" };
}

/** The organisation's name and logo above the page's content. */
function Brand({ ctx }: { ctx: EndUserContext }) {
  return (
    <p className="mb-4 flex items-center gap-2 text-sm font-semibold text-blue-700 dark:text-blue-300">
      {/* eslint-disable-next-line @next/next/no-img-element -- our own small logo route */}
      {ctx.logoUrl && <img src={ctx.logoUrl} alt="" height={32} className="max-h-8 max-w-40" />}
      <span>{ctx.organization}</span>
    </p>
  );
}

/** The way out: the organisation's support contact. */
function Support({ ctx }: { ctx: EndUserContext }) {
  if (!ctx.support) return <p className="mt-6 text-sm text-slate-600 dark:text-slate-400">{ctx.t("support.without")}</p>;
  const [before, after] = ctx.t("support.with", { contact: "\u0000" }).split("\u0000");
  return (
    <p className="mt-6 text-sm text-slate-600 dark:text-slate-400">
      {before}
      {ctx.support.href ? (
        <a className="underline" href={ctx.support.href}>
          {ctx.support.text}
        </a>
      ) : (
        ctx.support.text
      )}
      {after}
    </p>
  );
}

export async function SignInView({ mode, search }: { mode: string | null; search: Search }) {
  const q = await deviceQuery(search);
  const ctx = await endUserContext((await headers()).get("accept-language"));
  const { t } = ctx;
  const model = await signInPage({ identifier: q.get("user-identifier"), mode, flow: q.get("flow"), error: q.get("error") });
  if (!model.ok) {
    return (
      <main lang={ctx.lang} className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-5 py-10">
        <Brand ctx={ctx} />
        <h1 className="mb-2 text-2xl font-semibold">{t(`signin.err.${model.code}.title`)}</h1>
        <p role="alert" className="text-slate-600 dark:text-slate-400">
          {t(`signin.err.${model.code}.message`, model.vars)}
        </p>
        <p className="mt-4 text-sm text-slate-600 dark:text-slate-400">{t("signin.restart")}</p>
        <Support ctx={ctx} />
      </main>
    );
  }
  const hidden = (
    <>
      {model.flow ? <input type="hidden" name="flow" value={model.flow} /> : <input type="hidden" name="mode" value={model.mode} />}
      {model.terms ? <AcceptTermsBox version={model.terms.version} label={t("terms.acceptSignIn")} /> : null}
    </>
  );
  const manages = t(model.version === "mdm-adde" ? "signin.manageDevice" : "signin.manageAccount", { org: ctx.organization });
  const [forBefore, forAfter] = t("signin.for", { identifier: "\u0000" }).split("\u0000");
  return (
    <main lang={ctx.lang} className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-5 py-10">
      <Brand ctx={ctx} />
      <h1 className="mb-1 text-2xl font-semibold">{t("signin.title")}</h1>
      <p className="mb-6 text-slate-600 dark:text-slate-400">
        {manages}
        {model.identifier ? (
          <>
            {" "}
            {forBefore}
            <strong className="text-slate-900 dark:text-slate-100">{model.identifier}</strong>
            {forAfter}
          </>
        ) : null}
        .
      </p>
      {model.error && (
        <p role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {model.errorCode ? t(`signin.err.${model.errorCode}`) : model.error}
        </p>
      )}
      {model.terms ? <TermsPanel terms={model.terms} title={t("terms.title")} textLabel={t("terms.textLabel")} /> : null}
      {model.idpName && (
        <form method="post" action="/authenticate/start" className="mb-4 flex flex-col gap-3">
          {hidden}
          {model.identifier && <input type="hidden" name="identifier" value={model.identifier} />}
          <button type="submit" className={primary}>
            {t("signin.continueWith", { idp: model.idpName })}
          </button>
        </form>
      )}
      {model.localSignIn && (
        <form method="post" action="/authenticate/local" className="flex flex-col gap-3">
          {model.idpName && <p className="text-center text-sm text-slate-600 dark:text-slate-400">{t("signin.or")}</p>}
          {hidden}
          <label className="flex flex-col gap-1 text-sm font-medium">
            {t("signin.account")}
            <input className={input} name="identifier" type="email" autoComplete="username" autoCapitalize="none" required defaultValue={model.identifier ?? ""} readOnly={!!model.identifier} />
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium">
            {t("signin.password")}
            <input className={input} name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit" className={model.idpName ? secondary : primary}>
            {t("signin.submit")}
          </button>
        </form>
      )}
      <Support ctx={ctx} />
    </main>
  );
}
