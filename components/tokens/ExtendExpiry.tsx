"use client";
// The edit form's expiry choice: keep, move later by a preset, never expire, or a later date
// (entered in the admin's local time and sent as an instant, as on Generate Token).
import { useState } from "react";
import { FieldError } from "@/components/ui/ActionForm";
import { hint, input, label } from "@/components/ui/styles";

const CHOICES = [
  ["", "Keep the current expiry"],
  ["24h", "24 hours later"],
  ["7d", "7 days later"],
  ["30d", "30 days later"],
  ["never", "Never expires"],
  ["custom", "A later date"],
] as const;

export function ExtendExpiry({ current }: { current: string }) {
  const [choice, setChoice] = useState("");
  const [local, setLocal] = useState("");
  const iso = local && !Number.isNaN(new Date(local).getTime()) ? new Date(local).toISOString() : "";
  return (
    <div>
      <label htmlFor="extendExpiry" className={label}>
        Expiry
      </label>
      <select id="extendExpiry" name="extendExpiry" value={choice} onChange={(e) => setChoice(e.target.value)} className={input} aria-describedby="extendExpiry-hint">
        {CHOICES.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      <p id="extendExpiry-hint" className={hint}>
        Now: {current}. Presets count from the current expiry (or from now, if it has passed).
      </p>
      {choice === "custom" && (
        <div className="mt-2">
          <label htmlFor="extendAtLocal" className={label}>
            New expiry (your local time)
          </label>
          <input id="extendAtLocal" type="datetime-local" required value={local} onChange={(e) => setLocal(e.target.value)} className={input} />
          <input type="hidden" name="extendAt" value={iso} />
        </div>
      )}
      <FieldError name="extendExpiry" />
    </div>
  );
}
