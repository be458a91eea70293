// Per-person link: who the link was issued for.
export function PersonNotice({ email }: { email: string }) {
  return (
    <p className="rounded-xl border border-slate-200 px-4 py-3 text-sm dark:border-slate-800" data-testid="person-notice">
      This link is for <strong className="break-all">{email}</strong>. Enroll only your own devices with it.
    </p>
  );
}
