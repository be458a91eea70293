"use client";
// The download is a POST (link scanners and previewers follow GET links and would use up
// the token). The token is read from the address bar at submit time, so the page's HTML
// never contains it.
import { useEffect, useState } from "react";

/** The form's id, for inputs outside it (the terms checkbox) that belong to it. */
export const DOWNLOAD_FORM_ID = "download-profile";

export function DownloadProfileForm({ label = "Download Profile" }: { label?: string }) {
  const [started, setStarted] = useState(false);
  // Enabled once hydrated: before that, a tap would post without the token.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    const token = new URLSearchParams(window.location.search).get("token") ?? "";
    const input = e.currentTarget.elements.namedItem("token");
    if (input instanceof HTMLInputElement) input.value = token;
    setStarted(true);
  }
  return (
    <form id={DOWNLOAD_FORM_ID} method="post" action="/enroll/profile" onSubmit={onSubmit} className="space-y-2">
      {/* Not React-controlled: a re-render must not reset the value set at submit. */}
      <input type="hidden" name="token" />
      <button
        type="submit"
        disabled={!ready}
        className="w-full rounded-xl disabled:opacity-60 bg-brand-600 px-4 py-3.5 text-base font-semibold text-white shadow-sm hover:bg-brand-700 active:bg-brand-700"
      >
        {label}
      </button>
      <p aria-live="polite" className="min-h-5 text-center text-sm text-slate-600 dark:text-slate-400">
        {started ? "Profile requested. If nothing happens, tap the button again." : ""}
      </p>
    </form>
  );
}
