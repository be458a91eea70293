// Edit one OTA token: name, group, expiry moved later. The short link and QR code stay the same.
import Link from "next/link";
import { notFound } from "next/navigation";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { getEnrollmentToken } from "@/lib/enrollment/tokens";
import { listGroups } from "@/lib/mdm/groups";
import { ExtendExpiry } from "@/components/tokens/ExtendExpiry";
import { formatExpiry } from "@/components/tokens/format";
import { ActionForm, FieldError } from "@/components/ui/ActionForm";
import { PageHeader } from "@/components/ui/PageHeader";
import { card, hint, input, label, link } from "@/components/ui/styles";
import { updateTokenAction } from "../../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Edit token" };

export default async function EditTokenPage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requireAdmin();
  const { id } = await params;
  const token = await getEnrollmentToken(id, { withLinks: seesEnrollmentSecrets(admin.role) });
  if (!token) notFound();
  const groups = await listGroups();
  return (
    <div className="max-w-2xl">
      <PageHeader
        crumb="Enrollment › OTA › Tokens"
        title={`Edit ${token.name}`}
        description="The short link and its QR code stay the same. A full (JWT) link copied earlier keeps working until its original expiry."
      />
      <div className={card}>
        {canWrite(admin) ? (
          <ActionForm action={updateTokenAction} hidden={{ id: token.id }} submitLabel="Save token" pendingLabel="Saving…">
            <div>
              <label htmlFor="name" className={label}>
                Name
              </label>
              <input id="name" name="name" required maxLength={100} defaultValue={token.name} className={input} />
              <FieldError name="name" />
            </div>
            <div>
              <label htmlFor="groupId" className={label}>
                Group Assignment
              </label>
              <select id="groupId" name="groupId" defaultValue={token.groupId ?? ""} className={input} aria-describedby="groupId-hint">
                <option value="">No group</option>
                {groups.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
              <p id="groupId-hint" className={hint}>
                Applies to devices that enroll from now on; devices already enrolled keep their group.
              </p>
              <FieldError name="groupId" />
            </div>
            <ExtendExpiry current={formatExpiry(token.expiresAt)} />
          </ActionForm>
        ) : (
          <p role="alert" className="text-sm">
            Your role is Read-only, so you cannot edit tokens.
          </p>
        )}
      </div>
      <p className="mt-4 text-sm">
        <Link className={link} href={`/admin/enrollment/tokens/${token.id}`}>
          Back to the token
        </Link>
      </p>
    </div>
  );
}
