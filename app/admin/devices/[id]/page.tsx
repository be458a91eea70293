// One device: identity, certificate, group, installed profiles, command history and the
// timeline of its enrollment-log lines; actions for admins (with confirmation when destructive).
import Link from "next/link";
import { notFound } from "next/navigation";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { AppError } from "@/lib/errors";
import { getDeviceDetail, type DeviceDetail } from "@/lib/inventory/deviceDetail";
import { deviceFacets, ENROLLMENT_TYPE_LABEL } from "@/lib/inventory/devices";
import { reasonInfo } from "@/lib/log/reasons";
import { ActionForm } from "@/components/ui/ActionForm";
import { CommandStatusBadge, DeviceStatusBadge, OutcomeBadge } from "@/components/ui/Badge";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc, relativeTime } from "@/components/ui/format";
import { card, input, label, link, td } from "@/components/ui/styles";
import { policyCertificatesOf } from "@/lib/mdm/certificateRedistribution";
import { approveReEnrollmentAction, cancelCommandAction, denyReEnrollmentAction, moveDeviceAction, removeDeviceAction, resendPoliciesAction, revokeCertificateAction } from "./actions";
import { DeviceActions } from "./DeviceActions";
import { DataTable } from "@/components/ui/DataTable";
import { Repeats } from "@/components/log/Repeats";
import { AcmeAttestation } from "@/components/acme/AcmeAttestation";

export const dynamic = "force-dynamic";
export const metadata = { title: "Device" };

function Field({ name, children, mono }: { name: string; children: React.ReactNode; mono?: boolean }) {
  return (
    <div className="grid grid-cols-[9rem_1fr] gap-2 py-1.5 text-sm">
      <dt className="text-slate-600 dark:text-slate-400">{name}</dt>
      <dd className={`min-w-0 break-all ${mono ? "font-mono text-xs leading-5" : ""}`}>{children ?? "—"}</dd>
    </div>
  );
}

function Section({ id, title, children, actions }: { id: string; title: string; children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <section aria-labelledby={id} className={card}>
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
        <h2 id={id} className="font-semibold">
          {title}
        </h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Managed Device Attestation: what Apple's attestation says about this device, or why it was flagged. */
function AttestationFields({ d }: { d: DeviceDetail }) {
  const a = d.attestation;
  if (!a || (!a.status && a.pending)) {
    return (
      <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="attestation-status">
        {a?.pending
          ? `Requested ${a.requestedAt ? relativeTime(a.requestedAt) : ""}; waiting for the device's answer.`
          : d.actions.includes("request-attestation")
            ? "Not attested yet. Use Request attestation under Device actions."
            : "Not attested. This model or OS version cannot attest (iPhone/iPad A11+ on iOS 16+, Apple-silicon Macs on macOS 14+, Apple TV A12+, Vision Pro)."}
      </p>
    );
  }
  if (a.status !== "verified") {
    return (
      <div className="text-sm text-red-800 dark:text-red-300" data-testid="attestation-status">
        <p className="font-semibold">{a.status === "mismatch" ? "Flagged: the attested identity differs from the device record" : "Flagged: the attestation did not verify"}</p>
        <p className="mt-1">{a.problem}</p>
        <p className="mt-1">
          <Link className={link} href={`/admin/log/reasons#${a.status === "mismatch" ? "attestation_mismatch" : "attestation_failed"}`}>
            What to do
          </Link>
        </p>
      </div>
    );
  }
  const boot = a.bootSecurity;
  const bootText = boot
    ? [
        boot.secureBootStatus,
        boot.sipStatus === undefined ? null : `SIP ${boot.sipStatus === 0 ? "enabled" : "disabled"}`,
        boot.thirdPartyKextsAllowed === undefined ? null : `third-party kexts ${boot.thirdPartyKextsAllowed === 0 ? "not allowed" : "allowed"}`,
        boot.llbVersion ? `LLB ${boot.llbVersion}` : null,
      ]
        .filter(Boolean)
        .join(", ")
    : null;
  return (
    <dl className="divide-y divide-slate-100 dark:divide-slate-800" data-testid="attestation-status">
      <Field name="Status">
        <span className="font-semibold text-green-800 dark:text-green-300">hardware-attested</span>
        {a.attestedAt ? `, ${formatUtc(a.attestedAt)}` : ""}
        {a.cached ? " (Apple's cached attestation)" : ""}
        {a.source === "acme" ? " (identity certificate from ACME device-attest-01)" : ""}
      </Field>
      <Field name="Serial number" mono>
        {a.serialNumber}
      </Field>
      <Field name="UDID" mono>
        {a.udid}
      </Field>
      <Field name="OS">{a.osVersion}</Field>
      <Field name="SEP OS">{a.sepOsVersion}</Field>
      <Field name="Boot security">{bootText}</Field>
    </dl>
  );
}

function displayName(d: DeviceDetail): string {
  return d.deviceName ?? d.modelName ?? d.productName ?? d.serialNumber ?? d.identifier;
}

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requireAdmin();
  const { id } = await params;
  let d: DeviceDetail;
  try {
    d = await getDeviceDetail(id);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) notFound();
    throw err;
  }
  const writable = canWrite(admin);
  const { groups } = writable ? await deviceFacets() : { groups: [] };
  const current = d.certificates.find((c) => c.current) ?? d.certificates[0] ?? null;
  const policyCerts = await policyCertificatesOf(d.id);
  const name = displayName(d);
  const hidden = { deviceId: d.id };
  return (
    <div className="space-y-6">
      <PageHeader
        crumb="Devices"
        title={name}
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            <DeviceStatusBadge status={d.status} />
            <span>{ENROLLMENT_TYPE_LABEL[d.enrollmentType]}</span>
            <span>
              · last seen{" "}
              {d.lastSeenAt ? (
                <time dateTime={d.lastSeenAt.toISOString()} title={formatUtc(d.lastSeenAt)}>
                  {relativeTime(d.lastSeenAt)}
                </time>
              ) : (
                "never"
              )}
            </span>
          </span>
        }
        actions={
          writable ? (
            <>
              <ActionForm action={resendPoliciesAction} hidden={hidden} submitLabel="Re-send policies" pendingLabel="Queuing…" variant="secondary" inline />
              <ActionForm
                action={removeDeviceAction}
                hidden={hidden}
                submitLabel="Remove device"
                pendingLabel="Removing…"
                variant="danger"
                inline
                confirm={{
                  title: `Remove ${name}?`,
                  message: "Its command history is deleted and its identity certificates are revoked, so it can no longer check in. To manage it again, the device must enroll again.",
                  confirmLabel: "Remove device",
                }}
              />
            </>
          ) : undefined
        }
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Section id="identity" title="Identity">
          <dl className="divide-y divide-slate-100 dark:divide-slate-800">
            <Field name="UDID" mono>
              {d.udid}
            </Field>
            {d.enrollmentId && (
              <Field name="Enrollment ID" mono>
                {d.enrollmentId}
              </Field>
            )}
            <Field name="Serial number" mono>
              {d.serialNumber}
            </Field>
            <Field name="Model">{[d.modelName ?? d.productName, d.model].filter(Boolean).join(" · ") || null}</Field>
            <Field name="OS">{d.osVersion ? `${d.platform ?? ""} ${d.osVersion}${d.buildVersion ? ` (${d.buildVersion})` : ""}`.trim() : d.platform}</Field>
            <Field name="Device name">{d.deviceName}</Field>
            <Field name="Enrolled">{d.enrolledAt ? formatUtc(d.enrolledAt) : "not yet"}</Field>
            <Field name="Enrollment token">
              {d.token ? (
                <Link className={link} href={`/admin/enrollment/tokens/${d.token.id}`}>
                  {d.token.name}
                </Link>
              ) : null}
            </Field>
            {d.personEmail && !d.user && <Field name="Enrolled for">{d.personEmail}</Field>}
            <Field name="Terms accepted">
              {d.terms ? (
                <span data-testid="terms-accepted">
                  {d.terms.acceptedBy ?? "unknown"}, {d.terms.acceptedAt ? formatUtc(d.terms.acceptedAt) : "time unknown"} · version{" "}
                  <span className="font-mono text-xs" title={d.terms.version}>
                    {d.terms.version.slice(0, 12)}
                  </span>
                </span>
              ) : null}
            </Field>
            {d.user && (
              <Field name="User">
                {d.user.identifier}
                {d.user.managedAppleId ? ` (${d.user.managedAppleId})` : ""}
              </Field>
            )}
            <Field name="Push token">
              {d.hasPushToken ? (
                d.topic ? (
                  <>
                    present, topic <code className="text-xs">{d.topic}</code>
                  </>
                ) : (
                  "present"
                )
              ) : (
                "none yet (the device has not sent TokenUpdate)"
              )}
            </Field>
            <Field name="Reachable by push">
              {!d.hasPushToken ? (
                "no"
              ) : d.pushUnreachableAt ? (
                <span className="text-red-800 dark:text-red-300">
                  No: APNs answered {d.lastPushResult ?? "that the token is invalid"} {relativeTime(d.pushUnreachableAt)}. The device was erased, removed management, or enrolled under another push
                  topic; it is not pushed again until it sends a new token. Enroll it again if it was wiped.
                </span>
              ) : (
                "yes"
              )}
            </Field>
            <Field name="Last pushed">
              {d.lastPushedAt ? (
                <>
                  <time dateTime={d.lastPushedAt.toISOString()} title={formatUtc(d.lastPushedAt)}>
                    {relativeTime(d.lastPushedAt)}
                  </time>
                  , APNs answered {d.lastPushResult ?? "nothing"}
                </>
              ) : (
                "never"
              )}
            </Field>
            <Field name="Last check-in">
              {d.lastSeenAt ? (
                <time dateTime={d.lastSeenAt.toISOString()} title={formatUtc(d.lastSeenAt)}>
                  {relativeTime(d.lastSeenAt)}
                </time>
              ) : (
                "never"
              )}
            </Field>
            {d.userChannels.length > 0 && (
              <Field name="User channels">
                {d.userChannels
                  .map((u) => `${u.userLongName ?? u.userShortName ?? u.userChannelId}${u.userShortName ? ` (${u.userShortName})` : ""}${u.lastSeenAt ? `, seen ${relativeTime(u.lastSeenAt)}` : ""}`)
                  .join("; ")}
              </Field>
            )}
          </dl>
        </Section>
        <div className="space-y-6">
          <Section id="group" title="Group">
            <p className="mb-3 text-sm">
              {d.group ? (
                <>
                  Member of{" "}
                  <Link className={link} href={`/admin/groups/${d.group.id}`}>
                    {d.group.name}
                  </Link>
                  ; it receives that group&apos;s policies in order.
                </>
              ) : (
                "Not in a group, so no policies apply."
              )}
            </p>
            {writable && (
              <ActionForm action={moveDeviceAction} hidden={hidden} submitLabel="Move" pendingLabel="Moving…" variant="secondary" className="flex flex-wrap items-end gap-2">
                <div className="min-w-48 flex-1">
                  <label htmlFor="groupId" className={label}>
                    Move to group
                  </label>
                  <select id="groupId" name="groupId" defaultValue={d.group?.id ?? ""} className={input}>
                    <option value="">No group</option>
                    {groups.map((g) => (
                      <option key={g.id} value={g.id}>
                        {g.name}
                      </option>
                    ))}
                  </select>
                </div>
              </ActionForm>
            )}
          </Section>
          <Section id="certificate" title="Identity certificate">
            {!current ? (
              <p className="text-sm text-slate-700 dark:text-slate-300">
                No certificate issued. If the device enrolled but is not managed, check SCEP connectivity (
                <Link className={link} href="/admin/log/reasons#scep_not_issued">
                  SCEP certificate not issued
                </Link>
                ).
              </p>
            ) : (
              <>
                <dl className="divide-y divide-slate-100 dark:divide-slate-800">
                  <Field name="Subject">{current.subject}</Field>
                  <Field name="Serial" mono>
                    {current.serial}
                  </Field>
                  <Field name="Valid">{`${formatUtc(current.notBefore)} – ${formatUtc(current.notAfter)}`}</Field>
                  <Field name="SCEP profile">{current.profileName}</Field>
                  <AcmeAttestation serial={current.serial} />
                  <Field name="Status">
                    {current.revokedAt
                      ? `Revoked ${formatUtc(current.revokedAt)}${current.revocationReason ? ` (${current.revocationReason})` : ""}`
                      : current.notAfter < new Date()
                        ? "Expired"
                        : "Valid"}
                  </Field>
                </dl>
                {writable && !current.revokedAt && (
                  <div className="mt-3">
                    <ActionForm
                      action={revokeCertificateAction}
                      hidden={{ ...hidden, serial: current.serial }}
                      submitLabel="Revoke certificate"
                      pendingLabel="Revoking…"
                      variant="danger"
                      inline
                      confirm={{
                        title: "Revoke this certificate?",
                        message: "The device can no longer authenticate to the server with it and must enroll again. This cannot be undone.",
                        confirmLabel: "Revoke certificate",
                      }}
                    />
                  </div>
                )}
                {d.certificates.length > 1 && <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">{d.certificates.length - 1} earlier certificate(s) on record.</p>}
              </>
            )}
          </Section>
          <Section id="attestation" title="Hardware attestation">
            <AttestationFields d={d} />
          </Section>
        </div>
      </div>
      {writable && d.actions.length > 0 && (
        <Section id="actions" title="Device actions">
          <DeviceActions deviceId={d.id} name={name} actions={d.actions} mac={d.platform === "macOS"} />
        </Section>
      )}
      {policyCerts.length > 0 && (
        <Section id="policy-certificates" title={`Certificates from policies (${policyCerts.length})`}>
          <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
            {policyCerts.map((c) => (
              <li key={`${c.policyName}-${c.serial}`} className="py-2">
                <dl>
                  <Field name="Policy">{c.policyName}</Field>
                  <Field name="Subject">{c.subject}</Field>
                  <Field name="Issuer">{c.issuer}</Field>
                  <Field name="Expires">{formatUtc(c.notAfter)}</Field>
                  <Field name="Next redistribution">{`${formatUtc(c.nextRedistributionAt)}${c.lastRedistributedAt ? ` (last ${formatUtc(c.lastRedistributedAt)})` : ""}`}</Field>
                </dl>
              </li>
            ))}
          </ul>
        </Section>
      )}
      {d.reEnrollments.length > 0 && (
        <Section id="reenrollments" title="Re-enrollments">
          <p className="mb-2 text-sm text-slate-700 dark:text-slate-300">
            Authenticates from a new identity certificate for this device. A re-enrollment hands the device to the new identity with nothing of the old one (queued commands, bootstrap token, push and
            unlock tokens) and revokes the previous certificate; a held one waits for you (
            <Link className={link} href="/admin/settings#reenrollment">
              Settings › Re-enrollment
            </Link>
            ).
          </p>
          <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
            {d.reEnrollments.map((r) => (
              <li key={r.id} className="py-2">
                <div className="flex flex-wrap items-center gap-2">
                  <span
                    className={`rounded px-1.5 py-0.5 text-xs font-medium ${r.status === "PENDING" ? "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100" : r.status === "DENIED" ? "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100" : "bg-slate-100 text-slate-900 dark:bg-slate-800 dark:text-slate-100"}`}
                  >
                    {r.status === "PENDING" ? "Waiting for approval" : r.status === "DENIED" ? "Denied" : "Applied"}
                  </span>
                  <time dateTime={r.createdAt.toISOString()} className="text-slate-600 dark:text-slate-400">
                    {formatUtc(r.createdAt)}
                  </time>
                  {r.decidedBy && <span className="text-slate-600 dark:text-slate-400">· {r.decidedBy === "automatic" ? "automatic (setting)" : `by ${r.decidedBy}`}</span>}
                </div>
                <p className="mt-1">
                  New certificate <code className="font-mono text-xs">{r.newSerial}</code> ({r.newSource}) from {r.remoteAddr ?? "an unknown address"}; previous{" "}
                  {r.previousSerial ? <code className="font-mono text-xs">{r.previousSerial}</code> : "none"} ({r.previousSource}).
                  {r.status === "PENDING" && (r.tokenUpdateReceived ? " It has sent its push token: approving enrolls it at once." : " It has not sent its push token yet.")}
                </p>
                {writable && r.status === "PENDING" && (
                  <div className="mt-2 flex flex-wrap gap-2">
                    <ActionForm
                      action={approveReEnrollmentAction}
                      hidden={{ ...hidden, reEnrollmentId: r.id }}
                      submitLabel="Approve re-enrollment"
                      pendingLabel="Approving…"
                      inline
                      confirm={{
                        title: "Approve this re-enrollment?",
                        message:
                          "The device record goes to the new identity: its queued commands, bootstrap token, push and unlock tokens are dropped, the current certificate is revoked and the group's policies are sent again.",
                        confirmLabel: "Approve",
                      }}
                    />
                    <ActionForm
                      action={denyReEnrollmentAction}
                      hidden={{ ...hidden, reEnrollmentId: r.id }}
                      submitLabel="Deny"
                      pendingLabel="Denying…"
                      variant="danger"
                      inline
                      confirm={{ title: "Deny this re-enrollment?", message: "The new identity certificate is revoked; the device keeps its current identity.", confirmLabel: "Deny" }}
                    />
                  </div>
                )}
              </li>
            ))}
          </ul>
        </Section>
      )}
      <Section id="profiles" title={`Installed profiles (${d.installedProfiles.length})`}>
        {d.installedProfiles.length === 0 ? (
          <p className="text-sm text-slate-700 dark:text-slate-300">No profile list reported yet. It arrives with the device&apos;s answer to a ProfileList command.</p>
        ) : (
          <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
            {d.installedProfiles.map((p) => (
              <li key={p.identifier} className="flex flex-wrap justify-between gap-2 py-1.5">
                <span>
                  {p.name ?? p.identifier}
                  {p.organization ? <span className="text-slate-600 dark:text-slate-400"> · {p.organization}</span> : null}
                </span>
                <span className="font-mono text-xs text-slate-600 dark:text-slate-400">
                  {p.identifier}
                  {p.managed ? " · managed" : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section id="commands" title="Command history">
        {d.commands.length === 0 ? (
          <p className="text-sm text-slate-700 dark:text-slate-300">No commands yet.</p>
        ) : (
          <DataTable columns={["Command", "Status", { label: "Queued", hideBelow: "sm" }, { label: "Completed", hideBelow: "sm" }, "Result"]}>
            {d.commands.map((c) => (
              <tr key={c.id}>
                <td className={td}>
                  <div className="font-medium">{c.requestType}</div>
                  {c.policyName && <div className="text-xs text-slate-600 dark:text-slate-400">policy: {c.policyName}</div>}
                </td>
                <td className={td}>
                  <CommandStatusBadge status={c.status} />
                </td>
                <td className={`${td} hidden whitespace-nowrap sm:table-cell`}>{formatUtc(c.createdAt)}</td>
                <td className={`${td} hidden whitespace-nowrap sm:table-cell`}>{c.completedAt ? formatUtc(c.completedAt) : "—"}</td>
                <td className={td}>
                  <div className="flex flex-wrap items-center gap-2">
                    {c.errorChain && (
                      <details>
                        <summary className="cursor-pointer text-brand-700 dark:text-brand-100">Error details</summary>
                        <pre className="mt-1 max-h-64 max-w-[60vw] overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 text-xs dark:bg-slate-950">{c.errorChain}</pre>
                      </details>
                    )}
                    {c.completedAt && (
                      // The full answer on request (it can be megabytes), not in the page.
                      <a className={link} href={`/api/v1/devices/${encodeURIComponent(d.identifier)}/commands/${c.uuid}`} target="_blank" rel="noreferrer">
                        Result
                      </a>
                    )}
                    {writable && (c.status === "QUEUED" || c.status === "NOT_NOW") && (
                      <ActionForm
                        action={cancelCommandAction}
                        hidden={{ ...hidden, identifier: d.identifier, uuid: c.uuid }}
                        submitLabel="Cancel"
                        submitAriaLabel={`Cancel ${c.requestType}`}
                        pendingLabel="Cancelling…"
                        variant="secondary"
                        inline
                        confirm={{ title: `Cancel ${c.requestType}?`, message: "The device has not received it yet; it is removed from the queue.", confirmLabel: "Cancel command" }}
                      />
                    )}
                    {!c.errorChain && !c.completedAt && !(writable && (c.status === "QUEUED" || c.status === "NOT_NOW")) && "—"}
                  </div>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
      <Section
        id="timeline"
        title="Enrollment timeline"
        actions={
          <Link className={`${link} text-sm`} href={`/admin/log?device=${encodeURIComponent(d.identifier)}`}>
            Open in Enrollment Log
          </Link>
        }
      >
        {d.log.length === 0 ? (
          <EmptyState title="No log lines for this device" />
        ) : (
          <ol className="relative ml-2 border-l border-slate-200 dark:border-slate-700">
            {d.log.map((l) => {
              const info = reasonInfo(l.reason);
              return (
                <li key={l.id} className="mb-3 ml-4">
                  <span
                    aria-hidden
                    className={`absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full border-2 border-white dark:border-slate-900 ${l.outcome === "ERROR" ? "bg-red-600" : l.outcome === "WARNING" ? "bg-amber-500" : "bg-green-600"}`}
                  />
                  <div className="flex flex-wrap items-center gap-2 text-sm">
                    <time dateTime={l.time.toISOString()} className="text-slate-600 dark:text-slate-400">
                      {formatUtc(l.time)}
                    </time>
                    <span className="font-medium">{l.step}</span>
                    <OutcomeBadge outcome={l.outcome} />
                  </div>
                  <p className="text-sm">{l.message}</p>
                  <Repeats line={l} />
                  {info && (
                    <p className="text-sm text-slate-700 dark:text-slate-300">
                      <Link className={link} href={`/admin/log/reasons#${l.reason}`}>
                        {info.title}
                      </Link>
                      : {info.fix}
                    </p>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </Section>
    </div>
  );
}
