// Groups & Policies: device groups and how many devices and policies each has.
import Link from "next/link";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { listGroups } from "@/lib/mdm/groups";
import { ActionForm } from "@/components/ui/ActionForm";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { card, input, label, link, td } from "@/components/ui/styles";
import { createGroupAction } from "./actions";
import { DataTable } from "@/components/ui/DataTable";

export const dynamic = "force-dynamic";
export const metadata = { title: "Groups & Policies" };

export default async function GroupsPage() {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const groups = await listGroups();
  return (
    <div className="space-y-6">
      <PageHeader title="Groups & Policies" description="A token assigns new devices to a group; every member receives the group's configuration profiles and commands, in order." />
      {writable && (
        <section aria-labelledby="new-group" className={card}>
          <h2 id="new-group" className="mb-3 font-semibold">
            New group
          </h2>
          <ActionForm action={createGroupAction} submitLabel="Create group" pendingLabel="Creating…" className="grid gap-3 sm:grid-cols-[1fr_2fr_auto] sm:items-end">
            <div>
              <label htmlFor="group-name" className={label}>
                Name
              </label>
              <input id="group-name" name="name" required maxLength={100} placeholder="Engineering" className={input} />
            </div>
            <div>
              <label htmlFor="group-description" className={label}>
                Description (optional)
              </label>
              <input id="group-description" name="description" maxLength={1000} className={input} />
            </div>
          </ActionForm>
        </section>
      )}
      {groups.length === 0 ? (
        <EmptyState title="No groups yet">{writable ? "Create a group, attach profiles and commands, then choose it when you generate a token." : "An admin can create groups."}</EmptyState>
      ) : (
        <DataTable caption="Groups" columns={["Name", { label: "Description", hideBelow: "sm" }, "Devices", "Policies"]}>
          {groups.map((g) => (
            <tr key={g.id}>
              <td className={td}>
                <Link className={`${link} font-medium`} href={`/admin/groups/${g.id}`}>
                  {g.name}
                </Link>
              </td>
              <td className={`${td} hidden sm:table-cell`}>{g.description ?? "—"}</td>
              <td className={`${td} tabular-nums`}>
                <Link className={link} href={`/admin/devices?group=${g.id}`}>
                  {g.deviceCount}
                </Link>
              </td>
              <td className={`${td} tabular-nums`}>{g.policyCount}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
