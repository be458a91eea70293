// The device page's line for an identity certificate issued through ACME device-attest-01:
// "Hardware-attested" with what Apple attested and when.
import { attestationForCertificate } from "@/lib/acme/admin";
import { formatUtc } from "@/components/ui/format";
import { Badge } from "@/components/ui/Badge";

export async function AcmeAttestation({ serial }: { serial: string }) {
  const a = await attestationForCertificate(serial);
  if (!a) return null;
  return (
    <div className="grid grid-cols-[9rem_1fr] gap-2 py-1.5 text-sm" data-testid="acme-attestation">
      <dt className="text-slate-600 dark:text-slate-400">ACME attestation</dt>
      <dd className="min-w-0 break-all">
        <Badge tone="green">Hardware-attested</Badge> serial {a.serialNumber ?? "—"}, UDID {a.udid ?? "—"}, OS {a.osVersion ?? "—"}, SEP OS {a.sepOsVersion ?? "—"}
        {a.attestedAt ? `, ${formatUtc(new Date(a.attestedAt))}` : ""}
      </dd>
    </div>
  );
}
