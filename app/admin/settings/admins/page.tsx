// Settings > Admins: everyone who can sign in to the portal. Owners change roles, disable and
// enable admins and add local (break-glass) admins; the last active Owner is protected in lib.
import { listAdmins } from "@/lib/auth/admins";
import { hasRole, ROLE_LABEL, type Role } from "@/lib/auth/roles";
import { requireAdmin } from "@/app/_lib/session";
import { ActionForm } from "@/components/ui/ActionForm";
import { Badge } from "@/components/ui/Badge";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc } from "@/components/ui/format";
import { card, hint, input, label, td } from "@/components/ui/styles";
import { addLocalAdminAction, setAdminDisabledAction, setAdminRoleAction } from "./actions";
import { DataTable } from "@/components/ui/DataTable";

export const dynamic = "force-dynamic";
export const metadata = { title: "Admins" };

const ROLES: Role[] = ["OWNER", "ADMIN", "READ_ONLY"];

function RoleOptions() {
  return ROLES.map((r) => (
    <option key={r} value={r}>
      {ROLE_LABEL[r]}
    </option>
  ));
}

export default async function AdminsPage() {
  const me = await requireAdmin();
  const owner = hasRole(me.role, "OWNER");
  const admins = await listAdmins();
  return (
    <div className="max-w-5xl space-y-6">
      <PageHeader
        title="Admins"
        crumb="Settings"
        description={
          owner
            ? "Change roles, disable accounts and add local admins. A disabled admin is signed out at their next request. The last active Owner cannot be demoted or disabled."
            : "Only Owners can change admins."
        }
      />
      <DataTable caption="Admins" columns={["Email", "Name", "Role", "Sign-in", "Last sign-in", "Status", owner && { label: "Actions", srOnly: true }]}>
        {admins.map((a) => (
          <tr key={a.id} data-testid={`admin-${a.email}`}>
            <td className={`${td} break-all`} data-label="Email">
              {a.email}
              {a.id === me.id && <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">(you)</span>}
            </td>
            <td className={td} data-label="Name">
              {a.name ?? "—"}
            </td>
            <td className={td} data-label="Role">
              {owner ? (
                <ActionForm action={setAdminRoleAction} hidden={{ id: a.id }} submitLabel="Change role" pendingLabel="Saving…" variant="secondary" inline>
                  <select name="role" defaultValue={a.role} aria-label={`Role for ${a.email}`} className={`${input} w-auto py-1`}>
                    <RoleOptions />
                  </select>
                </ActionForm>
              ) : (
                ROLE_LABEL[a.role]
              )}
            </td>
            <td className={td} data-label="Sign-in">
              {a.localPassword ? (a.idpLinked ? "Local password and IdP" : "Local password") : "IdP only"}
            </td>
            <td className={td} data-label="Last sign-in">
              {a.lastLoginAt ? formatUtc(a.lastLoginAt) : "Never"}
            </td>
            <td className={td} data-label="Status">
              {a.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
            </td>
            {owner && (
              <td className={td}>
                {a.id !== me.id &&
                  (a.disabled ? (
                    <ActionForm action={setAdminDisabledAction} hidden={{ id: a.id, disabled: "false" }} submitLabel="Enable" submitAriaLabel={`Enable ${a.email}`} variant="secondary" inline />
                  ) : (
                    <ActionForm
                      action={setAdminDisabledAction}
                      hidden={{ id: a.id, disabled: "true" }}
                      submitLabel="Disable"
                      submitAriaLabel={`Disable ${a.email}`}
                      variant="danger"
                      inline
                      confirm={{
                        title: `Disable ${a.email}?`,
                        message: "They can no longer sign in, and any open session stops working at their next request. You can enable them again later.",
                        confirmLabel: "Disable",
                      }}
                    />
                  ))}
              </td>
            )}
          </tr>
        ))}
      </DataTable>

      {owner && (
        <section aria-labelledby="add-admin-h" className={card}>
          <h2 id="add-admin-h" className="font-semibold">
            Add a local admin
          </h2>
          <p className={hint}>A local admin signs in with email and password, also when the identity provider is down. Admins from the IdP are added at their first sign-in.</p>
          <ActionForm
            action={addLocalAdminAction}
            submitLabel="Add admin"
            pendingLabel="Adding…"
            resetOnSuccess
            className="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-[1fr_1fr_1fr_auto_auto] lg:items-end"
          >
            <div>
              <label htmlFor="new-email" className={label}>
                Email
              </label>
              <input id="new-email" name="email" type="email" required autoComplete="off" className={input} />
            </div>
            <div>
              <label htmlFor="new-name" className={label}>
                Name (optional)
              </label>
              <input id="new-name" name="name" maxLength={100} autoComplete="off" className={input} />
            </div>
            <div>
              <label htmlFor="new-password" className={label}>
                Initial password
              </label>
              <input id="new-password" name="password" type="password" required minLength={12} maxLength={256} autoComplete="new-password" className={input} />
            </div>
            <div>
              <label htmlFor="new-role" className={label}>
                Role
              </label>
              <select id="new-role" name="role" defaultValue="ADMIN" className={input}>
                <RoleOptions />
              </select>
            </div>
          </ActionForm>
        </section>
      )}
    </div>
  );
}
