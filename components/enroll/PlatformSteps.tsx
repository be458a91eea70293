"use client";
// Install steps for iPhone/iPad and Mac. The server's guess comes from the user agent;
// iPadOS may pose as a Mac, so the user can switch.
import { useEffect, useState } from "react";
import type { EnrollPlatform } from "@/lib/enrollment/platform";

const STEPS: Record<EnrollPlatform, { title: string; steps: React.ReactNode[] }> = {
  ios: {
    title: "iPhone & iPad (iOS / iPadOS)",
    steps: [
      <>Tap <strong>Download Profile</strong> below in Safari, then tap <strong>Allow</strong> when asked to download a configuration profile.</>,
      <>Open <strong>Settings &gt; General &gt; VPN &amp; Device Management</strong> (or tap <strong>Profile Downloaded</strong> at the top of Settings).</>,
      <>Tap the profile, then <strong>Install</strong>. Enter your passcode and confirm <strong>Remote Management</strong> by tapping <strong>Trust</strong>.</>,
      <>Your device enrolls automatically. It appears in your organisation's device list within a minute.</>,
    ],
  },
  macos: {
    title: "Mac (macOS)",
    steps: [
      <>Click <strong>Download Profile</strong> below. The profile is saved to your Downloads folder.</>,
      <>System Settings opens. If it doesn't, open <strong>System Settings &gt; Privacy &amp; Security &gt; Profiles</strong> (or <strong>General &gt; Device Management</strong>).</>,
      <>Double-click the downloaded profile, click <strong>Install</strong> and enter your Mac's administrator password.</>,
      <>Your Mac enrolls automatically. The profile is listed as <strong>Verified</strong> once installed.</>,
    ],
  },
};

export function PlatformSteps({ initial }: { initial: EnrollPlatform }) {
  const [platform, setPlatform] = useState<EnrollPlatform>(initial);
  // iPadOS Safari reports a Mac user agent; a touch screen gives it away.
  useEffect(() => {
    if (initial === "macos" && navigator.maxTouchPoints > 1) setPlatform("ios");
  }, [initial]);
  const current = STEPS[platform];
  return (
    <section aria-labelledby="steps-heading" className="space-y-4">
      <div role="tablist" aria-label="Device type" className="grid grid-cols-2 gap-1 rounded-xl bg-slate-200 p-1 dark:bg-slate-800">
        {(["ios", "macos"] as const).map((p) => (
          <button
            key={p}
            type="button"
            role="tab"
            aria-selected={platform === p}
            onClick={() => setPlatform(p)}
            className={`rounded-lg px-3 py-2 text-sm font-medium ${platform === p ? "bg-white text-slate-900 shadow-sm dark:bg-slate-950 dark:text-white" : "text-slate-700 dark:text-slate-300"}`}
          >
            {p === "ios" ? "iPhone / iPad" : "Mac"}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        <h2 id="steps-heading" className="mb-3 text-base font-semibold">
          {current.title}
        </h2>
        <ol className="space-y-3">
          {current.steps.map((s, i) => (
            <li key={i} className="flex gap-3 text-sm leading-6">
              <span aria-hidden className="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-brand-100 text-xs font-semibold text-brand-700">
                {i + 1}
              </span>
              <span>{s}</span>
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
