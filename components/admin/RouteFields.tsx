// The fields of an account-driven routing rule, for adding one and for editing one.
import { ENROLLMENT_VERSIONS } from "@/lib/enrollment/accessTokens";
import { MODEL_FAMILIES } from "@/lib/enrollment/routes";
import { FieldError } from "@/components/ui/ActionForm";
import { GovernanceFields } from "@/components/governance/GovernanceFields";
import { hint, input, label } from "@/components/ui/styles";

export const VERSION_LABEL: Record<string, string> = { "mdm-byod": "User Enrollment (BYOD)", "mdm-adde": "Device Enrollment (ADDE)" };

export interface RouteDefaults {
  domain: string;
  version: string;
  groupId: string | null;
  modelFamily: string | null;
  userMatch: string | null;
  baseUrl: string | null;
  externalScepProfileId: string | null;
  position: number | null;
  enabled: boolean;
  deviceLimit: number | null;
  terms: string | null;
}

export const NEW_ROUTE: RouteDefaults = {
  domain: "",
  version: "mdm-byod",
  groupId: null,
  modelFamily: null,
  userMatch: null,
  baseUrl: null,
  externalScepProfileId: null,
  position: null,
  enabled: true,
  deviceLimit: null,
  terms: null,
};

export function RouteFields({
  defaults,
  groups,
  external,
  domainPlaceholder,
}: {
  defaults: RouteDefaults;
  groups: { id: string; name: string }[];
  external: { id: string; name: string }[];
  domainPlaceholder: string;
}) {
  return (
    <>
      <div>
        <label htmlFor="r-domain" className={label}>
          Domain
        </label>
        <input id="r-domain" name="domain" required defaultValue={defaults.domain} placeholder={domainPlaceholder} className={input} />
        <FieldError name="domain" />
        <p className={hint}>A domain, *.domain, or * for any.</p>
      </div>
      <div>
        <label htmlFor="r-version" className={label}>
          Enrollment type
        </label>
        <select id="r-version" name="version" defaultValue={defaults.version} className={input}>
          {ENROLLMENT_VERSIONS.map((v) => (
            <option key={v} value={v}>
              {VERSION_LABEL[v] ?? v}
            </option>
          ))}
        </select>
        <FieldError name="version" />
      </div>
      <div>
        <label htmlFor="r-group" className={label}>
          Group
        </label>
        <select id="r-group" name="groupId" defaultValue={defaults.groupId ?? ""} className={input}>
          <option value="">None</option>
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
        <FieldError name="groupId" />
      </div>
      <div>
        <label htmlFor="r-family" className={label}>
          Device family
        </label>
        <select id="r-family" name="modelFamily" defaultValue={defaults.modelFamily ?? ""} className={input}>
          <option value="">Any</option>
          {MODEL_FAMILIES.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
        <FieldError name="modelFamily" />
      </div>
      <div>
        <label htmlFor="r-user" className={label}>
          User match (optional)
        </label>
        <input id="r-user" name="userMatch" defaultValue={defaults.userMatch ?? ""} placeholder="ann@example.com" className={input} />
        <FieldError name="userMatch" />
      </div>
      <div>
        <label htmlFor="r-base" className={label}>
          Other server URL (optional)
        </label>
        <input id="r-base" name="baseUrl" type="url" defaultValue={defaults.baseUrl ?? ""} placeholder="https://mdm2.example.com" className={input} />
        <FieldError name="baseUrl" />
      </div>
      <div>
        <label htmlFor="r-identity" className={label}>
          MDM identity from
        </label>
        <select id="r-identity" name="externalScepProfileId" defaultValue={defaults.externalScepProfileId ?? ""} className={input}>
          <option value="">Built-in CA (SCEP profile below)</option>
          {external.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} (external CA)
            </option>
          ))}
        </select>
        <FieldError name="externalScepProfileId" />
        <p className={hint}>An external CA&apos;s pinned certificate is trusted at check-in only while a rule or token uses it.</p>
      </div>
      <div>
        <label htmlFor="r-position" className={label}>
          Position (optional)
        </label>
        <input id="r-position" name="position" type="number" min={0} defaultValue={defaults.position ?? ""} className={input} />
        <FieldError name="position" />
      </div>
      <label className="flex items-center gap-1.5 self-end pb-2 text-sm">
        <input type="checkbox" name="enabled" defaultChecked={defaults.enabled} /> Enabled
      </label>
      <div className="sm:col-span-2 lg:col-span-4">
        <GovernanceFields idPrefix="r" values={{ deviceLimit: defaults.deviceLimit === null ? "" : String(defaults.deviceLimit), terms: defaults.terms ?? "" }} />
      </div>
    </>
  );
}
