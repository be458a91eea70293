// One group: its policies in order (reorder, remove), upload a configuration profile
// (validated against Apple's schemas; errors shown), add a command, rename or delete.
import Link from "next/link";
import { notFound } from "next/navigation";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { getGroup } from "@/lib/mdm/groups";
import { ALLOWED_COMMAND_TYPES } from "@/lib/mdm/commandPayload";
import { PolicyList } from "@/components/admin/PolicyList";
import { ActionForm } from "@/components/ui/ActionForm";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { card, hint, input, label, link } from "@/components/ui/styles";
import { listExternalScepProfiles } from "@/lib/scep/external/profiles";
import { addCertificatePolicyAction, addCommandPolicyAction, addProfilePolicyAction, deleteGroupAction, removePolicyAction, reorderPoliciesAction, updateGroupAction } from "../actions";

export const dynamic = "force-dynamic";
export const metadata = { title: "Group" };

export default async function GroupPage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requireAdmin();
  const { id } = await params;
  const group = await getGroup(id);
  if (!group) notFound();
  const writable = canWrite(admin);
  const hidden = { groupId: group.id };
  const externals = writable ? await listExternalScepProfiles() : [];
  return (
    <div className="space-y-6">
      <PageHeader
        crumb="Groups & Policies"
        title={group.name}
        description={
          <>
            {group.description ? `${group.description} · ` : ""}
            <Link className={link} href={`/admin/devices?group=${group.id}`}>
              {group.deviceCount} device{group.deviceCount === 1 ? "" : "s"}
            </Link>
          </>
        }
        actions={
          writable ? (
            <ActionForm
              action={deleteGroupAction}
              hidden={hidden}
              submitLabel="Delete group"
              pendingLabel="Deleting…"
              variant="danger"
              inline
              confirm={{
                title: `Delete the group "${group.name}"?`,
                message: `Its ${group.deviceCount} device(s) stay enrolled without a group, and tokens that assign this group stop assigning one. Installed profiles stay on the devices.`,
                confirmLabel: "Delete group",
              }}
            />
          ) : undefined
        }
      />
      <section aria-labelledby="policies" className={card}>
        <h2 id="policies" className="mb-1 font-semibold">
          Policies
        </h2>
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Sent to each member in this order when it enrolls, joins the group, or an admin re-sends them.</p>
        {group.policies.length === 0 ? (
          <EmptyState title="No policies yet">{writable ? "Upload a configuration profile or add a command below." : "An admin can attach profiles and commands."}</EmptyState>
        ) : (
          <PolicyList
            groupId={group.id}
            writable={writable}
            reorder={reorderPoliciesAction}
            remove={removePolicyAction}
            policies={group.policies.map((p) => ({ id: p.id, name: p.name, kind: p.kind, detail: p.kind === "PROFILE" ? p.profileIdentifier : p.requestType }))}
          />
        )}
      </section>
      {writable && (
        <div className="grid gap-6 lg:grid-cols-2">
          <section aria-labelledby="upload" className={card}>
            <h2 id="upload" className="mb-3 font-semibold">
              Upload configuration profile
            </h2>
            <ActionForm action={addProfilePolicyAction} hidden={hidden} submitLabel="Upload profile" pendingLabel="Validating…" resetOnSuccess>
              <div>
                <label htmlFor="mobileconfig" className={label}>
                  .mobileconfig file
                </label>
                <input
                  id="mobileconfig"
                  name="mobileconfig"
                  type="file"
                  required
                  accept=".mobileconfig,application/x-apple-aspen-config,application/xml,text/xml"
                  className={`${input} file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-2 file:py-1 dark:file:bg-slate-800 dark:file:text-slate-100`}
                />
                <p className={hint}>Signed or unsigned, up to 2 MB. It is checked against Apple&apos;s profile schemas; problems are listed here.</p>
              </div>
              <div>
                <label htmlFor="profile-name" className={label}>
                  Name (optional)
                </label>
                <input id="profile-name" name="name" maxLength={200} placeholder="Defaults to the profile's display name" className={input} />
              </div>
            </ActionForm>
          </section>
          <section aria-labelledby="command" className={card}>
            <h2 id="command" className="mb-3 font-semibold">
              Add command
            </h2>
            <ActionForm action={addCommandPolicyAction} hidden={hidden} submitLabel="Add command" pendingLabel="Adding…" resetOnSuccess>
              <div>
                <label htmlFor="requestType" className={label}>
                  Command
                </label>
                <select id="requestType" name="requestType" required className={input}>
                  {ALLOWED_COMMAND_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor="params" className={label}>
                  Extra command keys (JSON, optional)
                </label>
                <textarea id="params" name="params" rows={3} placeholder='{"Queries": ["OSVersion", "SerialNumber"]}' className={`${input} font-mono`} />
                <p className={hint}>Checked against Apple&apos;s command schema.</p>
              </div>
              <div>
                <label htmlFor="command-name" className={label}>
                  Name (optional)
                </label>
                <input id="command-name" name="name" maxLength={200} className={input} />
              </div>
            </ActionForm>
          </section>
          {externals.length > 0 && (
            <section aria-labelledby="certificate" className={card}>
              <h2 id="certificate" className="mb-3 font-semibold">
                Add certificate
              </h2>
              <ActionForm action={addCertificatePolicyAction} hidden={hidden} submitLabel="Add certificate policy" pendingLabel="Adding…" resetOnSuccess>
                <div>
                  <label htmlFor="externalScepProfileId" className={label}>
                    External SCEP profile
                  </label>
                  <select id="externalScepProfileId" name="externalScepProfileId" required className={input}>
                    {externals.map((e) => (
                      <option key={e.id} value={e.id}>
                        {e.name}
                      </option>
                    ))}
                  </select>
                  <p className={hint}>Each member gets its own profile: its variables in the subject and a challenge fetched for it.</p>
                </div>
                <div>
                  <label htmlFor="redistributeDays" className={label}>
                    Redistribute days before expiry
                  </label>
                  <input id="redistributeDays" name="redistributeDays" type="number" min={0} max={365} defaultValue={30} className={input} />
                  <p className={hint}>Jamf Pro: Redistribute Profile. For CAs that do not renew (Okta).</p>
                </div>
                <div>
                  <label htmlFor="certificate-name" className={label}>
                    Name (optional)
                  </label>
                  <input id="certificate-name" name="name" maxLength={200} className={input} />
                </div>
              </ActionForm>
            </section>
          )}
          <section aria-labelledby="settings" className={`${card} lg:col-span-2`}>
            <h2 id="settings" className="mb-3 font-semibold">
              Group settings
            </h2>
            <ActionForm action={updateGroupAction} hidden={hidden} submitLabel="Save" pendingLabel="Saving…" className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end">
              <div>
                <label htmlFor="edit-name" className={label}>
                  Name
                </label>
                <input id="edit-name" name="name" required maxLength={100} defaultValue={group.name} className={input} />
              </div>
              <div>
                <label htmlFor="edit-description" className={label}>
                  Description
                </label>
                <input id="edit-description" name="description" maxLength={1000} defaultValue={group.description ?? ""} className={input} />
              </div>
            </ActionForm>
          </section>
        </div>
      )}
    </div>
  );
}
