// The governance fields of the portal's token and routing-rule forms (components/governance/GovernanceFields.tsx).
/** Reads the governance fields of a submitted form: "" → null; a non-number limit → NaN (the schema refuses it). */
export function governanceFromForm(get: (name: string) => string): { personEmail: string | null; deviceLimit: number | null; terms: string | null } {
  const limit = get("deviceLimit");
  return {
    personEmail: get("personEmail") || null,
    deviceLimit: limit === "" ? null : /^\d+$/.test(limit) ? Number(limit) : NaN,
    terms: get("terms") || null,
  };
}
