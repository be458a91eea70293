"use client";
// Every SCEP profile field. The challenge type decides which secret fields apply.
import { useState } from "react";
import type { ScepProfileView } from "@/lib/scep/profiles";
import { SUBJECT_TEMPLATE_EXAMPLES } from "@/lib/scep/subjectExamples";
import { FieldError } from "@/components/ui/ActionForm";
import { hint, input, label } from "@/components/ui/styles";

/** The form's starting values: a stored profile's editable fields (the view minus ids, URLs and dates). */
export type ScepDefaults = Omit<ScepProfileView, "id" | "url" | "challengeUrl" | "createdAt" | "updatedAt">;

export const NEW_SCEP_DEFAULTS: ScepDefaults = {
  name: "",
  challengeType: "DYNAMIC",
  subjectTemplate: "CN=$UDID",
  keySize: 2048,
  keyUsage: 5,
  validityDays: 365,
  renewalWindowDays: 30,
  nonExportable: true,
  allowAllAppsAccess: false,
  ndesUsername: null,
  ndesCacheSize: 5,
};

const TYPES = [
  ["DYNAMIC", "Dynamic", "A one-time challenge generated for each enrollment (recommended)."],
  ["STATIC", "Static", "A shared password embedded in every profile."],
  ["TOKEN", "Token-based", "A short one-time value bound to the enrollment token and its download."],
  ["NDES", "NDES challenge URL", "Another system fetches one-time challenges from a URL with HTTP basic credentials."],
] as const;

export function ScepFields({ defaults, editing }: { defaults: ScepDefaults; editing?: boolean }) {
  const [type, setType] = useState(defaults.challengeType);
  return (
    <div className="space-y-4">
      <div>
        <label htmlFor="scep-name" className={label}>
          Name
        </label>
        <input id="scep-name" name="name" required maxLength={100} defaultValue={defaults.name} placeholder="Device identity" className={input} />
        <FieldError name="name" />
      </div>
      <fieldset>
        <legend className={label}>Challenge type</legend>
        <div className="grid gap-2 sm:grid-cols-2">
          {TYPES.map(([value, title, text]) => (
            <label key={value} className="flex gap-2 rounded-md border border-slate-200 p-2 text-sm has-[:checked]:border-brand-500 dark:border-slate-700">
              <input type="radio" name="challengeType" value={value} checked={type === value} onChange={() => setType(value)} className="mt-1" />
              <span>
                <span className="font-medium">{title}</span>
                <span className="block text-slate-600 dark:text-slate-400">{text}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      {type === "STATIC" && (
        <div>
          <label htmlFor="staticChallenge" className={label}>
            {editing ? "New static password (optional)" : "Static password (optional)"}
          </label>
          <input id="staticChallenge" name="staticChallenge" type="password" autoComplete="new-password" minLength={12} maxLength={255} className={input} />
          <FieldError name="staticChallenge" />
          <p className={hint}>
            {editing ? "Leave empty to keep the current password." : "Leave empty to generate a strong one."} It is shown once after saving. At least 12 characters; common words and passwords are
            refused.
          </p>
          <p className={hint}>A shared password does not tell the server which token a device used, so devices enrolling with it join no group automatically; prefer Dynamic for tokens.</p>
        </div>
      )}
      {type === "NDES" && (
        <div>
          <label htmlFor="ndesUsername" className={label}>
            Challenge URL user name (optional)
          </label>
          <input id="ndesUsername" name="ndesUsername" maxLength={100} pattern="[^:\s]+" defaultValue={defaults.ndesUsername ?? ""} className={input} />
          <FieldError name="ndesUsername" />
          <p className={hint}>Generated when empty. The password is generated and shown once.</p>
          <label htmlFor="ndesCacheSize" className={`${label} mt-3`}>
            Password cache size
          </label>
          <input id="ndesCacheSize" name="ndesCacheSize" type="number" required min={1} max={1000} defaultValue={defaults.ndesCacheSize} className={input} />
          <FieldError name="ndesCacheSize" />
          <p className={hint}>Unused challenges the URL hands out before it answers &quot;The password cache is full.&quot; (NDES keeps 5; raise it for a mass deployment).</p>
        </div>
      )}
      <div>
        <label htmlFor="subjectTemplate" className={label}>
          Subject template
        </label>
        <input id="subjectTemplate" name="subjectTemplate" required maxLength={256} defaultValue={defaults.subjectTemplate} className={`${input} font-mono`} />
        <FieldError name="subjectTemplate" />
        <p className={hint}>For example {SUBJECT_TEMPLATE_EXAMPLES.join(" or ")}. Each expanded value must fit its X.520 limit (CN, O and OU: 64 characters), including a $PROFILE_IDENTIFIER.</p>
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        <div>
          <label htmlFor="keySize" className={label}>
            Key size
          </label>
          <select id="keySize" name="keySize" defaultValue={String(defaults.keySize)} className={input}>
            <option value="2048">2048-bit RSA</option>
            <option value="4096">4096-bit RSA</option>
          </select>
          <FieldError name="keySize" />
        </div>
        <div>
          <label htmlFor="validityDays" className={label}>
            Validity (days)
          </label>
          <input id="validityDays" name="validityDays" type="number" required min={1} max={3650} defaultValue={defaults.validityDays} className={input} />
          <FieldError name="validityDays" />
        </div>
        <div>
          <label htmlFor="renewalWindowDays" className={label}>
            Renew before expiry (days)
          </label>
          <input id="renewalWindowDays" name="renewalWindowDays" type="number" required min={0} max={365} defaultValue={defaults.renewalWindowDays} className={input} />
          <FieldError name="renewalWindowDays" />
        </div>
      </div>
      <fieldset>
        <legend className={label}>Key usage</legend>
        <div className="flex flex-wrap gap-4 text-sm">
          <label className="inline-flex items-center gap-1.5">
            <input type="checkbox" name="keyUsageSign" defaultChecked={(defaults.keyUsage & 1) === 1} /> Digital signature
          </label>
          <label className="inline-flex items-center gap-1.5">
            <input type="checkbox" name="keyUsageEncipher" defaultChecked={(defaults.keyUsage & 4) === 4} /> Key encipherment
          </label>
        </div>
        <FieldError name="keyUsage" />
      </fieldset>
      <div className="space-y-2 text-sm">
        <label className="flex items-center gap-1.5">
          <input type="checkbox" name="nonExportable" defaultChecked={defaults.nonExportable} /> Private key cannot be exported from the device
        </label>
        <label className="flex items-center gap-1.5">
          <input type="checkbox" name="allowAllAppsAccess" defaultChecked={defaults.allowAllAppsAccess} /> Allow all apps to use the private key
        </label>
      </div>
    </div>
  );
}
