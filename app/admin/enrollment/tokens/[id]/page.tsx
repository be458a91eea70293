// One token: its short enrollment link (copy; the full JWT link below), QR code of the short
// link (shown, PNG and SVG downloads; the full link's on request), details, edit, revoke, delete.
import Link from "next/link";
import { notFound } from "next/navigation";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { getEnrollmentToken } from "@/lib/enrollment/tokens";
import { CopyButton } from "@/components/tokens/CopyButton";
import { RevokeButton } from "@/components/tokens/RevokeButton";
import { StatusBadge } from "@/components/tokens/StatusBadge";
import { formatExpiry } from "@/components/tokens/format";
import { ActionForm } from "@/components/ui/ActionForm";
import { btnSecondary, link } from "@/components/ui/styles";
import { deleteTokenAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Enrollment token" };

export default async function TokenPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin();
  const { id } = await params;
  const created = (await searchParams).created === "1";
  // Links and QR codes enroll devices: a Read-only admin gets none (not even in the RSC payload).
  const token = await getEnrollmentToken(id, { withLinks: seesEnrollmentSecrets(admin.role) });
  if (!token) notFound();
  const qrBase = `/api/v1/tokens/${encodeURIComponent(token.id)}`;
  return (
    <div className="space-y-6">
      <div>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          <Link href="/admin/enrollment/tokens" className={link}>
            Enrollment › OTA › Tokens
          </Link>
        </p>
        <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold">
          {token.name} <StatusBadge status={token.status} />
        </h1>
        {canWrite(admin) && (
          <p className="mt-2">
            <Link href={`/admin/enrollment/tokens/${token.id}/edit`} className={btnSecondary}>
              Edit token
            </Link>
          </p>
        )}
      </div>
      {created && (
        <p role="status" className="rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900 dark:border-green-800 dark:bg-green-950 dark:text-green-100">
          Token generated. Share the enrollment URL or the QR code with the people who should enroll.
        </p>
      )}
      <section aria-labelledby="url-heading" className="space-y-2">
        <h2 id="url-heading" className="text-lg font-semibold">
          Enrollment URL
        </h2>
        {token.linksHidden ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">Enrollment links and QR codes enroll devices, so only Admins and Owners see them.</p>
        ) : token.url && token.shortUrl ? (
          <>
            <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
              <input
                readOnly
                aria-label="Enrollment URL"
                value={token.shortUrl}
                className="w-full min-w-0 flex-1 truncate rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-sm dark:border-slate-700 dark:bg-slate-900"
              />
              <CopyButton value={token.shortUrl} />
            </div>
            <details className="text-sm">
              <summary className="cursor-pointer text-slate-700 underline dark:text-slate-300">Full link (JWT)</summary>
              <div className="mt-2 flex flex-col gap-2 sm:flex-row sm:items-center">
                <input
                  readOnly
                  aria-label="Full enrollment URL"
                  value={token.url}
                  className="w-full min-w-0 flex-1 truncate rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-900"
                />
                <CopyButton value={token.url} label="Copy full URL" />
              </div>
            </details>
          </>
        ) : (
          <p className="text-sm text-red-700 dark:text-red-300">The stored link cannot be decrypted (MDM_SECRET changed). Generate a new token.</p>
        )}
      </section>
      {token.url && (
        <section aria-labelledby="qr-heading" className="space-y-3">
          <h2 id="qr-heading" className="text-lg font-semibold">
            QR code
          </h2>
          {/* eslint-disable-next-line @next/next/no-img-element -- served by our API with the session cookie */}
          <img
            src={`${qrBase}/qr.png`}
            alt={`QR code for the enrollment URL of ${token.name}`}
            width={256}
            height={256}
            className="rounded-lg border border-slate-200 bg-white dark:border-slate-800"
          />
          <div className="flex flex-wrap gap-2">
            <a href={`${qrBase}/qr.png`} download className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
              Download PNG
            </a>
            <a href={`${qrBase}/qr.svg`} download className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
              Download SVG
            </a>
            <a href={`${qrBase}/qr.png?link=full`} download className="px-3 py-1.5 text-sm text-slate-700 underline dark:text-slate-300">
              PNG of the full link
            </a>
          </div>
        </section>
      )}
      <section aria-labelledby="details-heading">
        <h2 id="details-heading" className="mb-2 text-lg font-semibold">
          Details
        </h2>
        <dl className="grid max-w-xl grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm">
          <dt className="text-slate-600 dark:text-slate-400">Group</dt>
          <dd>{token.groupName ?? "—"}</dd>
          <dt className="text-slate-600 dark:text-slate-400">SCEP profile</dt>
          <dd>{token.scepProfileName ?? "Default (dynamic challenge)"}</dd>
          <dt className="text-slate-600 dark:text-slate-400">Uses</dt>
          <dd className="tabular-nums">
            {token.useCount} / {token.maxUses === 0 ? "unlimited" : token.maxUses} devices enrolled
            {token.reservedUses > 0 ? `, ${token.reservedUses} held by downloads not enrolled yet` : ""}
          </dd>
          {token.personEmail && (
            <>
              <dt className="text-slate-600 dark:text-slate-400">For</dt>
              <dd>{token.personEmail}</dd>
            </>
          )}
          <dt className="text-slate-600 dark:text-slate-400">Device limit</dt>
          <dd>{token.deviceLimit === null ? "Organisation setting" : token.deviceLimit === 0 ? "None" : `${token.deviceLimit} per person`}</dd>
          <dt className="text-slate-600 dark:text-slate-400">Device identity</dt>
          <dd>{token.requireAttestation ? "Device-bound, attestation required" : token.deviceBound ? "Device-bound (Profile Service)" : "One-phase download"}</dd>
          <dt className="text-slate-600 dark:text-slate-400">Terms</dt>
          <dd>
            {token.termsVersion ? (
              <>
                Required (version <span className="font-mono text-xs">{token.termsVersion.slice(0, 12)}</span>)
              </>
            ) : (
              "None"
            )}
          </dd>
          <dt className="text-slate-600 dark:text-slate-400">Expires</dt>
          <dd>{formatExpiry(token.expiresAt)}</dd>
          <dt className="text-slate-600 dark:text-slate-400">Created</dt>
          <dd>
            {formatExpiry(token.createdAt)}
            {token.createdBy ? ` by ${token.createdBy.replace(/^(session|api-key):/, "")}` : ""}
          </dd>
          {token.revokedAt && (
            <>
              <dt className="text-slate-600 dark:text-slate-400">Revoked</dt>
              <dd>{formatExpiry(token.revokedAt)}</dd>
            </>
          )}
          <dt className="text-slate-600 dark:text-slate-400">Token ID (jti)</dt>
          <dd className="font-mono text-xs">{token.id}</dd>
        </dl>
      </section>
      {canWrite(admin) && token.status !== "revoked" && (
        <section aria-labelledby="danger-heading" className="space-y-2">
          <h2 id="danger-heading" className="text-lg font-semibold">
            Revoke
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">Devices already enrolled stay enrolled; the link and QR code stop working.</p>
          <RevokeButton id={token.id} name={token.name} />
        </section>
      )}
      {canWrite(admin) && (
        <section aria-labelledby="delete-heading" className="space-y-2">
          <h2 id="delete-heading" className="text-lg font-semibold">
            Delete
          </h2>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            The link, short link and QR code stop working, and a profile downloaded from them but not installed yet can no longer enroll. Devices already enrolled stay enrolled and managed, with their
            group, person and terms; the log keeps the token&apos;s id.
          </p>
          <ActionForm
            action={deleteTokenAction}
            hidden={{ id: token.id }}
            submitLabel="Delete token"
            pendingLabel="Deleting…"
            variant="danger"
            confirm={{
              title: `Delete the token "${token.name}"?`,
              message: `Its link and QR code stop working at once. ${token.useCount === 0 ? "No device has enrolled with it." : token.useCount === 1 ? "The device enrolled with it stays enrolled." : `The ${token.useCount} devices enrolled with it stay enrolled.`} This cannot be undone.`,
              confirmLabel: "Delete token",
            }}
          />
        </section>
      )}
    </div>
  );
}
