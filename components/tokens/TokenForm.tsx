"use client";
// Generate Token (seed 000): Name, Expiration (24 hours, 7 days, 30 days, never, custom),
// Group Assignment, SCEP Profile, Max Uses (0 = unlimited).
import { useActionState, useState } from "react";
import { createTokenAction, type TokenFormState } from "@/app/admin/enrollment/tokens/actions";
import { GovernanceFields } from "@/components/governance/GovernanceFields";

const input = "w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900";

export function TokenForm({
  groups,
  scepProfiles,
  externalScepProfiles = [],
}: {
  groups: { id: string; name: string }[];
  scepProfiles: { id: string; name: string; challengeType: string }[];
  externalScepProfiles?: { id: string; name: string }[];
}) {
  const [state, action, pending] = useActionState<TokenFormState, FormData>(createTokenAction, { error: null });
  const [expiration, setExpiration] = useState("7d");
  const [customLocal, setCustomLocal] = useState("");
  // datetime-local has no time zone; send the instant the admin meant, in their zone.
  const customIso = customLocal && !Number.isNaN(new Date(customLocal).getTime()) ? new Date(customLocal).toISOString() : "";
  return (
    <form action={action} className="max-w-lg space-y-5">
      {state.error && (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          {state.error}
        </p>
      )}
      <div>
        <label htmlFor="name" className="mb-1 block text-sm font-medium">
          Name
        </label>
        <input id="name" name="name" required maxLength={100} placeholder="Engineering BYOD" defaultValue={state.values?.name ?? ""} className={input} />
      </div>
      <fieldset>
        <legend className="mb-1 block text-sm font-medium">Expiration</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-2 text-sm">
          {[
            ["24h", "24 hours"],
            ["7d", "7 days"],
            ["30d", "30 days"],
            ["never", "Never"],
            ["custom", "Custom"],
          ].map(([v, l]) => (
            <label key={v} className="flex items-center gap-1.5">
              <input type="radio" name="expiration" value={v} checked={expiration === v} onChange={() => setExpiration(v)} />
              {l}
            </label>
          ))}
        </div>
        {expiration === "custom" && (
          <div className="mt-2">
            <label htmlFor="customExpiry" className="mb-1 block text-sm">
              Expires at (your local time)
            </label>
            <input id="customExpiry" type="datetime-local" required value={customLocal} onChange={(e) => setCustomLocal(e.target.value)} className={input} />
            <input type="hidden" name="expiresAt" value={customIso} />
          </div>
        )}
      </fieldset>
      <div>
        <label htmlFor="groupId" className="mb-1 block text-sm font-medium">
          Group Assignment
        </label>
        <select id="groupId" name="groupId" className={input} defaultValue={state.values?.groupId ?? ""}>
          <option value="">No group</option>
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor="scepProfileId" className="mb-1 block text-sm font-medium">
          SCEP Profile
        </label>
        <select id="scepProfileId" name="scepProfileId" className={input} defaultValue={state.values?.scepProfileId ?? ""}>
          <option value="">Default (one-time dynamic challenge)</option>
          {scepProfiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.challengeType.toLowerCase()} challenge)
            </option>
          ))}
          {externalScepProfiles.length > 0 && (
            <optgroup label="External CAs (pinned)">
              {externalScepProfiles.map((p) => (
                <option key={p.id} value={`ext:${p.id}`}>
                  {p.name} (external CA)
                </option>
              ))}
            </optgroup>
          )}
        </select>
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">Devices get their identity certificate from this SCEP profile. Optional.</p>
      </div>
      <div>
        <label htmlFor="maxUses" className="mb-1 block text-sm font-medium">
          Max Uses
        </label>
        <input id="maxUses" name="maxUses" type="number" min={0} max={1000000} step={1} defaultValue={state.values?.maxUses ?? "0"} required className={input} />
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">How many devices can enroll with this token. 0 = unlimited.</p>
      </div>
      <GovernanceFields person values={state.values} idPrefix="token" />
      <fieldset className="space-y-2">
        <legend className="mb-1 text-sm font-medium">Device identity</legend>
        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" name="deviceBound" value="1" defaultChecked={state.values?.deviceBound === "1"} className="mt-1" />
          <span>
            Device-bound (Apple&apos;s Profile Service): the device proves its UDID with its Apple-issued certificate first, and its identity certificate is bound to that UDID. One more install prompt
            for the user.
          </span>
        </label>
        <label className="flex items-start gap-2 text-sm">
          <input type="checkbox" name="requireAttestation" value="1" defaultChecked={state.values?.requireAttestation === "1"} className="mt-1" />
          <span>Require attestation: only devices that can attest enroll (iPhone/iPad A11+ on iOS 16+, Apple-silicon Macs on macOS 14+, Apple TV A12+, Vision Pro). Implies device-bound.</span>
        </label>
      </fieldset>
      <button type="submit" disabled={pending} className="rounded-md bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700 disabled:opacity-60">
        {pending ? "Generating…" : "Generate Token"}
      </button>
    </form>
  );
}
