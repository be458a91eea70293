"use client";
// The fields of an external SCEP profile (a CA we do not run). The challenge source decides
// which secret fields apply; Jamf Pro's names for the same fields are given as hints.
import { useState } from "react";
import { CHALLENGE_SOURCES, type ChallengeSource } from "@/lib/scep/external/challengeSources";
import { hint, input, label } from "@/components/ui/styles";

const SOURCE_TEXT: Record<ChallengeSource, [string, string]> = {
  NONE: ["None", "The CA needs no challenge (it authorises requests otherwise)."],
  STATIC: ["Static", 'One shared challenge in every profile (Jamf Pro: Challenge Type "Static").'],
  NDES: ["Dynamic, NDES-style", 'Fetched per device from the NDES mscep_admin page with HTTP Basic (Jamf Pro: "Dynamic-Microsoft CA").'],
  GENERIC: ["Dynamic, generic", 'Fetched per device from a JSON or plain-text endpoint with HTTP Basic (Okta: "Dynamic SCEP URL and Generic").'],
};

/** The stored values an edit form starts from (never a secret: only whether one is set). */
export interface ExternalScepInitial {
  name: string;
  scepUrl: string;
  caSha256: string;
  challengeSource: ChallengeSource;
  challengeUrl: string | null;
  challengeUsername: string | null;
  challengeJsonField: string | null;
  hasChallengePassword: boolean;
  subjectTemplate: string;
  subjectAltName: Record<string, string> | null;
  keySize: number;
  keyUsage: number;
  nonExportable: boolean;
  allowAllAppsAccess: boolean;
}

export function ExternalScepFields({ initial }: { initial?: ExternalScepInitial } = {}) {
  const [source, setSource] = useState<ChallengeSource>(initial?.challengeSource ?? "NONE");
  const dynamic = source === "NDES" || source === "GENERIC";
  const editing = initial !== undefined;
  // A secret of the stored source is kept when left empty; a new source needs its own.
  const keeps = editing && source === initial.challengeSource;
  const san = initial?.subjectAltName ?? {};
  return (
    <div className="space-y-4">
      <div>
        <label className={label} htmlFor="ext-name">
          Name
        </label>
        <input id="ext-name" name="name" required maxLength={100} defaultValue={initial?.name} className={input} />
      </div>
      <div>
        <label className={label} htmlFor="ext-url">
          SCEP URL
        </label>
        <input id="ext-url" name="scepUrl" required type="url" defaultValue={initial?.scepUrl} placeholder="https://ndes.example.com/certsrv/mscep/mscep.dll" className={input} />
        <p className={hint}>Jamf Pro: URL. No query string: devices add ?operation=… themselves.</p>
      </div>
      <div>
        <label className={label} htmlFor="ext-fp">
          CA fingerprint (SHA-256 or SHA-1)
        </label>
        <input id="ext-fp" name="caFingerprint" required={!editing} className={`${input} font-mono`} />
        {editing ? (
          <p className={hint}>
            Pinned now: <span className="break-all font-mono">{initial.caSha256}</span>. Leave empty to keep it; required when you change the SCEP URL (check the new URL above and confirm its
            fingerprint), or to re-pin a renewed CA.
          </p>
        ) : (
          <p className={hint}>
            Use &quot;Check the SCEP URL&quot; above and confirm the fingerprint it shows against the CA&apos;s console, or paste the one you know. Saving fetches GetCACert again and refuses a
            different CA.
          </p>
        )}
      </div>
      <fieldset>
        <legend className={label}>Challenge source</legend>
        {CHALLENGE_SOURCES.map((s) => (
          <label key={s} className="flex items-start gap-2 text-sm">
            <input type="radio" name="challengeSource" value={s} checked={source === s} onChange={() => setSource(s)} />
            <span>
              <span className="font-medium">{SOURCE_TEXT[s][0]}</span> <span className="text-slate-600 dark:text-slate-400">{SOURCE_TEXT[s][1]}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {source === "STATIC" && (
        <div>
          <label className={label} htmlFor="ext-static">
            Static challenge
          </label>
          <input id="ext-static" name="staticChallenge" type="password" autoComplete="off" required={!keeps} placeholder={keeps ? "Set; leave empty to keep it" : undefined} className={input} />
          {keeps && <p className={hint}>The stored challenge is sealed and never shown; typing one replaces it.</p>}
        </div>
      )}
      {dynamic && (
        <>
          <div>
            <label className={label} htmlFor="ext-curl">
              Challenge URL
            </label>
            <input
              id="ext-curl"
              name="challengeUrl"
              type="url"
              required
              defaultValue={initial?.challengeUrl ?? undefined}
              placeholder={source === "NDES" ? "https://ndes.example.com/certsrv/mscep_admin/" : "https://example.okta.com/…"}
              className={input}
            />
            <p className={hint}>Jamf Pro: URL To SCEP Admin.</p>
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            <div>
              <label className={label} htmlFor="ext-user">
                Username
              </label>
              <input id="ext-user" name="challengeUsername" autoComplete="off" defaultValue={initial?.challengeUsername ?? undefined} className={input} />
            </div>
            <div>
              <label className={label} htmlFor="ext-pass">
                Password
              </label>
              <input
                id="ext-pass"
                name="challengePassword"
                type="password"
                autoComplete="new-password"
                placeholder={editing && initial.hasChallengePassword ? "Set; leave empty to keep it" : undefined}
                className={input}
              />
            </div>
          </div>
          {source === "GENERIC" && (
            <div>
              <label className={label} htmlFor="ext-field">
                JSON response field
              </label>
              <input id="ext-field" name="challengeJsonField" placeholder="challenge" defaultValue={initial?.challengeJsonField ?? undefined} className={input} />
              <p className={hint}>Dotted path such as data.challenge; empty = &quot;challenge&quot;, &quot;challengePassword&quot; or &quot;password&quot;, or a plain-text body.</p>
            </div>
          )}
        </>
      )}
      <div>
        <label className={label} htmlFor="ext-subject">
          Subject
        </label>
        <input id="ext-subject" name="subjectTemplate" defaultValue={initial?.subjectTemplate ?? "CN=$UDID"} required className={`${input} font-mono`} />
        <p className={hint}>$UDID, $SERIALNUMBER, $EMAIL, $COMPUTERNAME, $USERNAME, $PROFILE_IDENTIFIER; at most 64 characters per expanded value.</p>
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        <div>
          <label className={label} htmlFor="ext-upn">
            SAN: UPN (optional)
          </label>
          <input id="ext-upn" name="sanNtPrincipalName" defaultValue={san.ntPrincipalName} className={`${input} font-mono`} placeholder="$EMAIL" />
        </div>
        <div>
          <label className={label} htmlFor="ext-rfc822">
            SAN: email (optional)
          </label>
          <input id="ext-rfc822" name="sanRfc822Name" defaultValue={san.rfc822Name} className={`${input} font-mono`} placeholder="$EMAIL" />
        </div>
        <div>
          <label className={label} htmlFor="ext-dns">
            SAN: DNS name (optional)
          </label>
          <input id="ext-dns" name="sanDnsName" defaultValue={san.dNSName} className={`${input} font-mono`} />
        </div>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <label className={label} htmlFor="ext-key">
            Key size
          </label>
          <select id="ext-key" name="keySize" defaultValue={String(initial?.keySize ?? 2048)} className={input}>
            <option value="2048">2048</option>
            <option value="4096">4096</option>
          </select>
        </div>
        <div className="space-y-1 text-sm">
          <label className="flex gap-2">
            <input type="checkbox" name="keyUsageSign" defaultChecked={initial ? (initial.keyUsage & 1) !== 0 : true} /> Use as digital signature
          </label>
          <label className="flex gap-2">
            <input type="checkbox" name="keyUsageEncipher" defaultChecked={initial ? (initial.keyUsage & 4) !== 0 : false} /> Use for key encipherment
          </label>
          <label className="flex gap-2">
            <input type="checkbox" name="allowExport" defaultChecked={initial ? !initial.nonExportable : false} /> Allow export from keychain
          </label>
          <label className="flex gap-2">
            <input type="checkbox" name="allowAllAppsAccess" defaultChecked={initial?.allowAllAppsAccess ?? true} /> Allow all apps access
          </label>
        </div>
      </div>
    </div>
  );
}
