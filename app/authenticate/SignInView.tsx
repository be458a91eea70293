// The mobile sign-in page the device's web authentication session shows (seed 003 steps 6-10).
import { headers } from "next/headers";
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
const secondary =
  "w-full rounded-lg border border-slate-300 bg-white px-4 py-3 text-base font-semibold text-slate-900 hover:bg-slate-100 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";

export async function SignInView({ mode, search }: { mode: string | null; search: Search }) {
  const q = await deviceQuery(search);
  const model = await signInPage({ identifier: q.get("user-identifier"), mode, flow: q.get("flow"), error: q.get("error") });
  if (!model.ok) {
    return (
      <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-5 py-10">
        <h1 className="mb-2 text-2xl font-semibold">{model.title}</h1>
        <p role="alert" className="text-slate-600 dark:text-slate-400">
          {model.message}
        </p>
        <p className="mt-4 text-sm text-slate-500">Close this window and start the enrollment again in Settings.</p>
      </main>
    );
  }
  const hidden = (
    <>
      {model.flow ? <input type="hidden" name="flow" value={model.flow} /> : <input type="hidden" name="mode" value={model.mode} />}
      {model.terms ? <AcceptTermsBox version={model.terms.version} /> : null}
    </>
  );
  const what = model.version === "mdm-adde" ? "this device" : "your work account on this device";
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center px-5 py-10">
      <h1 className="mb-1 text-2xl font-semibold">Sign in to enroll</h1>
      <p className="mb-6 text-slate-600 dark:text-slate-400">
        Your organisation will manage {what}
        {model.identifier ? (
          <>
            {" "}
            for <strong className="text-slate-900 dark:text-slate-100">{model.identifier}</strong>
          </>
        ) : null}
        .
      </p>
      {model.error && (
        <p role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {model.error}
        </p>
      )}
      {model.terms ? <TermsPanel terms={model.terms} /> : null}
      {model.idpName && (
        <form method="post" action="/authenticate/start" className="mb-4 flex flex-col gap-3">
          {hidden}
          {model.identifier && <input type="hidden" name="identifier" value={model.identifier} />}
          <button type="submit" className={primary}>
            Continue with {model.idpName}
          </button>
        </form>
      )}
      {model.localSignIn && (
        <form method="post" action="/authenticate/local" className="flex flex-col gap-3">
          {model.idpName && <p className="text-center text-sm text-slate-500">or sign in with a password from your IT team</p>}
          {hidden}
          <label className="flex flex-col gap-1 text-sm font-medium">
            Account
            <input
              className={input}
              name="identifier"
              type="email"
              autoComplete="username"
              autoCapitalize="none"
              required
              defaultValue={model.identifier ?? ""}
              readOnly={!!model.identifier}
            />
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium">
            Password
            <input className={input} name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit" className={model.idpName ? secondary : primary}>
            Sign in
          </button>
        </form>
      )}
    </main>
  );
}
