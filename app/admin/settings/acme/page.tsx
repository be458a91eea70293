// Settings > ACME: the directory URL, DNS domains for standard ACME clients, pre-registered
// serial numbers, and the certificates issued through device-attest-01 with what Apple attested.
import { acmeSettings, attestedIssuances, listRegisteredDevices } from "@/lib/acme/admin";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { ActionForm } from "@/components/ui/ActionForm";
import { Badge } from "@/components/ui/Badge";
import { DataTable } from "@/components/ui/DataTable";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc } from "@/components/ui/format";
import { card, hint, input, label, td } from "@/components/ui/styles";
import { importSerialsAction, removeSerialAction, saveDnsDomainsAction } from "./actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "ACME" };

export default async function AcmeSettingsPage() {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const [settings, registered, issuances] = await Promise.all([acmeSettings(), listRegisteredDevices({ take: 200 }), attestedIssuances({ take: 50 })]);
  return (
    <div className="max-w-5xl space-y-6">
      <PageHeader
        title="ACME"
        crumb="Settings"
        description="Devices that can attest (iPhone and iPad with A11 or later on iOS 16+, Apple-silicon Macs on macOS 14+) obtain their identity certificate through ACME with Apple's hardware attestation. Only devices in this organisation's inventory are issued: the device an enrollment handed an ACME payload to, or a serial number registered below."
      />

      <section aria-labelledby="acme-directory-h" className={card}>
        <h2 id="acme-directory-h" className="font-semibold">
          Directory URL
        </h2>
        <p className={hint}>Enrollment profiles point devices here; standard ACME clients (certbot, lego) use it as their server.</p>
        <p className="mt-2 break-all text-sm">
          <code data-testid="acme-directory-url">{settings.directoryUrl}</code>
        </p>
      </section>

      <section aria-labelledby="acme-dns-h" className={card}>
        <h2 id="acme-dns-h" className="font-semibold">
          DNS names (http-01)
        </h2>
        <p className={hint}>Standard ACME clients may obtain certificates for names equal to or under these domains, validated with http-01 on port 80. Empty (the default): DNS names are refused.</p>
        {writable ? (
          <ActionForm action={saveDnsDomainsAction} submitLabel="Save domains" pendingLabel="Saving…" className="mt-3 space-y-2">
            <label htmlFor="acme-domains" className={label}>
              Allowed domains (comma or space separated)
            </label>
            <input id="acme-domains" name="domains" defaultValue={settings.dnsDomains.join(", ")} placeholder="lab.example.com" className={input} />
          </ActionForm>
        ) : (
          <p className="mt-2 text-sm">{settings.dnsDomains.length ? settings.dnsDomains.join(", ") : "None"}</p>
        )}
      </section>

      <section aria-labelledby="acme-serials-h" className={card}>
        <h2 id="acme-serials-h" className="font-semibold">
          Pre-registered serial numbers ({registered.total})
        </h2>
        <p className={hint}>
          A device with one of these serial numbers may obtain an attested certificate with its serial as the ACME identifier, without an enrollment. Import a CSV (first column the serial, optional
          second column a note) or paste one per line.
        </p>
        {writable && (
          <ActionForm action={importSerialsAction} submitLabel="Import" pendingLabel="Importing…" resetOnSuccess className="mt-3 grid gap-3 md:grid-cols-2">
            <div>
              <label htmlFor="acme-serials-file" className={label}>
                CSV file
              </label>
              <input id="acme-serials-file" name="file" type="file" accept=".csv,text/csv,text/plain" className={input} />
            </div>
            <div>
              <label htmlFor="acme-serials" className={label}>
                …or paste serial numbers
              </label>
              <textarea id="acme-serials" name="serials" rows={3} className={`${input} font-mono text-xs`} placeholder="C02XK0AAJGH5,Finance laptop" />
            </div>
          </ActionForm>
        )}
      </section>
      <DataTable caption="Pre-registered serial numbers" columns={["Serial number", "Note", "Added by", "Added", writable && { label: "Actions", srOnly: true }]}>
        {registered.items.map((r) => (
          <tr key={r.serialNumber}>
            <td className={`${td} font-mono`} data-label="Serial number">
              {r.serialNumber}
            </td>
            <td className={td} data-label="Note">
              {r.note ?? "—"}
            </td>
            <td className={td} data-label="Added by">
              {r.createdBy ?? "—"}
            </td>
            <td className={td} data-label="Added">
              {formatUtc(r.createdAt)}
            </td>
            {writable && (
              <td className={td}>
                <ActionForm action={removeSerialAction} hidden={{ serial: r.serialNumber }} submitLabel="Remove" submitAriaLabel={`Remove ${r.serialNumber}`} variant="danger" inline />
              </td>
            )}
          </tr>
        ))}
      </DataTable>

      <DataTable caption="Attested certificates (device-attest-01)" columns={["Identifier", "Apple attested", "OS / SEP OS", "Certificate", "Issued"]}>
        {issuances.map((i) => (
          <tr key={i.orderId}>
            <td className={`${td} font-mono break-all`} data-label="Identifier">
              {i.identifier}
            </td>
            <td className={`${td} break-all`} data-label="Apple attested">
              serial {i.serialNumber ?? "—"}, UDID {i.udid ?? "—"}
            </td>
            <td className={td} data-label="OS / SEP OS">
              {i.osVersion ?? "—"} / {i.sepOsVersion ?? "—"}
            </td>
            <td className={`${td} font-mono`} data-label="Certificate">
              {i.certSerial} {i.revoked ? <Badge tone="red">Revoked</Badge> : <Badge tone="green">Hardware-attested</Badge>}
            </td>
            <td className={td} data-label="Issued">
              {formatUtc(i.issuedAt)}
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
