// Enrollment > Account-driven: how devices find this server from a user's identifier
// (routing rules), how users sign in, which Managed Apple Account each user gets, and
// Enrollment SSO.
import Link from "next/link";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { getAddeSettings } from "@/lib/enrollment/addeSettings";
import { essoUrl, getEssoSettings } from "@/lib/enrollment/esso";
import { listRoutes } from "@/lib/enrollment/routes";
import { NEW_ROUTE, RouteFields, VERSION_LABEL } from "@/components/admin/RouteFields";
import { listEnrollmentUsers } from "@/lib/inventory/users";
import { listGroups } from "@/lib/mdm/groups";
import { listScepProfiles } from "@/lib/scep/profiles";
import { listExternalScepProfiles } from "@/lib/scep/external/profiles";
import { config } from "@/lib/config";
import { ActionForm } from "@/components/ui/ActionForm";
import { Badge } from "@/components/ui/Badge";
import { EmptyState } from "@/components/ui/EmptyState";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc } from "@/components/ui/format";
import { btnSecondary, card, hint, input, label, link, td } from "@/components/ui/styles";
import { createRouteAction, deleteRouteAction, moveRouteAction, disableEssoAction, mapUserAction, revokeUserTokensAction, saveAddeSettingsAction, saveEssoAction } from "./actions";
import { DataTable } from "@/components/ui/DataTable";

export const dynamic = "force-dynamic";
export const metadata = { title: "Account-driven enrollment" };

export default async function AccountDrivenPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const { q } = await searchParams;
  const [settings, routes, groups, scep, users, esso, external] = await Promise.all([
    getAddeSettings(),
    listRoutes(),
    listGroups(),
    listScepProfiles(),
    listEnrollmentUsers({ q }),
    getEssoSettings(),
    listExternalScepProfiles(),
  ]);
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const externalName = new Map(external.map((p) => [p.id, p.name]));
  const host = new URL(config().publicUrl).host;
  const domainPlaceholder = host.includes(".") ? host.split(".").slice(-2).join(".") : "example.com";
  return (
    <div className="space-y-6">
      <PageHeader
        crumb="Enrollment"
        title="Account-driven enrollment"
        description={
          <>
            Users sign in with their work account on the device (Settings › VPN &amp; Device Management). The device discovers this server at{" "}
            <code>https://{"<domain>"}/.well-known/com.apple.remotemanagement</code>; serve that from your domain or point it at{" "}
            <code>{config().publicUrl}/.well-known/com.apple.remotemanagement</code>.
          </>
        }
      />
      <section aria-labelledby="routing" className={card}>
        <h2 id="routing" className="mb-1 font-semibold">
          Routing rules
        </h2>
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          The first enabled rule that matches the user&apos;s domain (and user and device family, if set) decides the enrollment type, group and server.
        </p>
        {routes.length === 0 ? (
          <EmptyState title="No routing rules">
            Without one, service discovery answers 404 for every domain (
            <Link className={link} href="/admin/log/reasons#discovery_unknown_domain">
              Unknown domain
            </Link>
            ).
          </EmptyState>
        ) : (
          <DataTable
            columns={[
              "#",
              "Domain",
              { label: "User / device", hideBelow: "md" },
              "Enrollment",
              { label: "Group / server", hideBelow: "md" },
              { label: "MDM identity", hideBelow: "lg" },
              "State",
              writable && { label: "Actions", srOnly: true },
            ]}
          >
            {routes.map((r, i) => (
              <tr key={r.id}>
                <td className={`${td} tabular-nums`} data-label="Position">
                  {r.position}
                </td>
                <td className={`${td} font-mono`} data-label="Domain">
                  {r.domain}
                </td>
                <td className={`${td} hidden md:table-cell`}>{[r.userMatch, r.modelFamily].filter(Boolean).join(" · ") || "any"}</td>
                <td className={td} data-label="Enrollment">
                  {VERSION_LABEL[r.version] ?? r.version}
                </td>
                <td className={`${td} hidden md:table-cell`}>{r.baseUrl ? <span className="font-mono text-xs">{r.baseUrl}</span> : r.groupId ? (groupName.get(r.groupId) ?? r.groupId) : "—"}</td>
                <td className={`${td} hidden lg:table-cell`}>{r.externalScepProfileId ? `${externalName.get(r.externalScepProfileId) ?? r.externalScepProfileId} (external CA)` : "Built-in CA"}</td>
                <td className={td} data-label="State">
                  {r.enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="slate">Disabled</Badge>}
                  {r.deviceLimit !== null && <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">limit {r.deviceLimit === 0 ? "none" : r.deviceLimit}</span>}
                  {r.terms && <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">terms</span>}
                </td>
                {writable && (
                  <td className={td}>
                    <div className="flex flex-wrap items-center gap-2">
                      <Link className={btnSecondary} href={`/admin/enrollment/account-driven/rules/${r.id}`} aria-label={`Edit rule #${r.position} for ${r.domain}`}>
                        Edit
                      </Link>
                      {i > 0 && (
                        <ActionForm
                          action={moveRouteAction}
                          hidden={{ routeId: r.id, direction: "up" }}
                          submitLabel="↑"
                          submitAriaLabel={`Move rule #${r.position} for ${r.domain} up`}
                          variant="secondary"
                          inline
                        />
                      )}
                      {i < routes.length - 1 && (
                        <ActionForm
                          action={moveRouteAction}
                          hidden={{ routeId: r.id, direction: "down" }}
                          submitLabel="↓"
                          submitAriaLabel={`Move rule #${r.position} for ${r.domain} down`}
                          variant="secondary"
                          inline
                        />
                      )}
                      <ActionForm
                        action={deleteRouteAction}
                        hidden={{ routeId: r.id }}
                        submitLabel="Delete"
                        submitAriaLabel={`Delete rule for ${r.domain}`}
                        variant="danger"
                        inline
                        confirm={{
                          title: `Delete the rule for ${r.domain}?`,
                          message: "Users of this domain can no longer discover this server unless another rule matches.",
                          confirmLabel: "Delete rule",
                        }}
                      />
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </DataTable>
        )}
        {writable && (
          <details className="mt-4">
            <summary className="cursor-pointer text-sm font-medium text-brand-700 dark:text-brand-100">Add a rule</summary>
            <ActionForm action={createRouteAction} submitLabel="Add rule" pendingLabel="Adding…" resetOnSuccess className="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
              <RouteFields defaults={NEW_ROUTE} groups={groups} external={external} domainPlaceholder={domainPlaceholder} />
            </ActionForm>
          </details>
        )}
      </section>

      <section aria-labelledby="adde-settings" className={card}>
        <h2 id="adde-settings" className="mb-3 font-semibold">
          Sign-in and certificate
        </h2>
        {writable ? (
          <ActionForm action={saveAddeSettingsAction} submitLabel="Save" pendingLabel="Saving…" className="grid gap-3 sm:grid-cols-3 sm:items-end">
            <div>
              <label htmlFor="authMethod" className={label}>
                Authentication method
              </label>
              <select id="authMethod" name="authMethod" defaultValue={settings.authMethod} className={input}>
                <option value="simple">Web sign-in (apple-as-web)</option>
                <option value="oauth2">OAuth 2 (apple-oauth2)</option>
              </select>
            </div>
            <div>
              <label htmlFor="oauthClientId" className={label}>
                OAuth 2 client ID
              </label>
              <input id="oauthClientId" name="oauthClientId" required defaultValue={settings.oauthClientId} className={input} />
            </div>
            <div>
              <label htmlFor="adde-scep" className={label}>
                SCEP profile
              </label>
              <select id="adde-scep" name="scepProfileId" defaultValue={settings.scepProfileId ?? ""} className={input}>
                <option value="">First dynamic profile</option>
                {scep.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
          </ActionForm>
        ) : (
          <p className="text-sm">
            Method: {settings.authMethod === "oauth2" ? "OAuth 2" : "web sign-in"} · client ID {settings.oauthClientId} · SCEP profile{" "}
            {scep.find((p) => p.id === settings.scepProfileId)?.name ?? "first dynamic profile"}
          </p>
        )}
      </section>

      <section aria-labelledby="users" className={card}>
        <h2 id="users" className="mb-1 font-semibold">
          Users and Managed Apple Accounts
        </h2>
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Users appear after their first sign-in. Map one to a different Managed Apple Account when it is not their sign-in identifier.</p>
        <form method="get" role="search" className="mb-3 flex max-w-md gap-2">
          <label htmlFor="user-q" className="sr-only">
            Search users
          </label>
          <input id="user-q" name="q" type="search" defaultValue={q ?? ""} placeholder="Search users" className={input} />
          <button type="submit" className="rounded-md border border-slate-300 px-3 text-sm dark:border-slate-600">
            Search
          </button>
        </form>
        {users.users.length === 0 ? (
          <EmptyState title={q ? "No users match" : "No users yet"} />
        ) : (
          <DataTable columns={["User", "Managed Apple Account", { label: "Devices", hideBelow: "sm" }, { label: "Tokens revoked", hideBelow: "md" }, writable && { label: "Actions", srOnly: true }]}>
            {users.users.map((u) => (
              <tr key={u.id}>
                <td className={td}>
                  {u.identifier}
                  {u.displayName ? <div className="text-xs text-slate-600 dark:text-slate-400">{u.displayName}</div> : null}
                </td>
                <td className={td}>
                  {u.managedAppleId}
                  {!u.managedAppleIdMapped && <span className="text-xs text-slate-600 dark:text-slate-400"> (same as sign-in)</span>}
                </td>
                <td className={`${td} hidden sm:table-cell tabular-nums`}>{u.deviceCount}</td>
                <td className={`${td} hidden md:table-cell`}>{u.tokensRevokedAt ? formatUtc(u.tokensRevokedAt) : "—"}</td>
                {writable && (
                  <td className={td}>
                    <ActionForm
                      action={revokeUserTokensAction}
                      hidden={{ identifier: u.identifier }}
                      submitLabel="Revoke tokens"
                      submitAriaLabel={`Revoke tokens of ${u.identifier}`}
                      variant="danger"
                      inline
                      confirm={{
                        title: `Revoke ${u.identifier}'s tokens?`,
                        message: "Every access and refresh token of this user stops working; their devices ask them to sign in again.",
                        confirmLabel: "Revoke tokens",
                      }}
                    />
                  </td>
                )}
              </tr>
            ))}
          </DataTable>
        )}
        {users.total > users.users.length && (
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
            Showing {users.users.length} of {users.total}; search to narrow down.
          </p>
        )}
        {writable && (
          <details className="mt-4">
            <summary className="cursor-pointer text-sm font-medium text-brand-700 dark:text-brand-100">Map a user to a Managed Apple Account</summary>
            <ActionForm action={mapUserAction} submitLabel="Save mapping" pendingLabel="Saving…" resetOnSuccess className="mt-3 grid gap-3 sm:grid-cols-3 sm:items-end">
              <div>
                <label htmlFor="m-id" className={label}>
                  User identifier
                </label>
                <input id="m-id" name="identifier" required type="email" placeholder="ann@example.com" className={input} />
              </div>
              <div>
                <label htmlFor="m-maid" className={label}>
                  Managed Apple Account
                </label>
                <input id="m-maid" name="managedAppleId" type="email" placeholder="ann@appleid.example.com" className={input} />
              </div>
              <div>
                <label htmlFor="m-name" className={label}>
                  Display name (optional)
                </label>
                <input id="m-name" name="displayName" className={input} />
              </div>
            </ActionForm>
          </details>
        )}
      </section>

      <section aria-labelledby="esso" className={card}>
        <h2 id="esso" className="mb-1 font-semibold">
          Enrollment SSO
        </h2>
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          {esso?.enabled ? (
            <>
              On: devices are pointed at <code>{essoUrl()}</code> to install the SSO app (App Store ID {esso.iTunesStoreID}).
            </>
          ) : (
            "Off: users sign in on a web page during enrollment."
          )}
        </p>
        {writable && (
          <div className="space-y-3">
            <ActionForm action={saveEssoAction} submitLabel="Save Enrollment SSO" pendingLabel="Saving…" className="grid gap-3 sm:grid-cols-2">
              <div>
                <label htmlFor="e-store" className={label}>
                  SSO app App Store ID
                </label>
                <input id="e-store" name="iTunesStoreID" type="number" min={1} required defaultValue={esso?.iTunesStoreID ?? ""} className={input} />
              </div>
              <div>
                <label htmlFor="e-domains" className={label}>
                  Associated domains
                </label>
                <input id="e-domains" name="associatedDomains" defaultValue={esso?.associatedDomains.join(", ") ?? ""} placeholder="authsrv:login.example.com" className={input} />
              </div>
              <div className="sm:col-span-2">
                <label htmlFor="e-profile" className={label}>
                  Configuration profile with the Extensible SSO payload
                </label>
                <input id="e-profile" name="configurationProfile" type="file" accept=".mobileconfig" required={!esso} className={input} />
                <p className={hint}>
                  Only the Extensible SSO payload and certificate payloads (root, PEM, PKCS#1, PKCS#12) may be in it: the device refuses any other payload before enrollment.
                  {esso ? " Leave empty to keep the current profile." : ""}
                </p>
              </div>
              <label className="flex items-center gap-1.5 text-sm">
                <input type="checkbox" name="enabled" defaultChecked={esso?.enabled ?? true} /> Enabled
              </label>
              <label className="flex items-center gap-1.5 text-sm">
                <input type="checkbox" name="directDownloads" defaultChecked={esso?.associatedDomainsEnableDirectDownloads ?? false} /> Associated domains: direct downloads
              </label>
            </ActionForm>
            {esso && (
              <ActionForm
                action={disableEssoAction}
                submitLabel="Remove Enrollment SSO"
                variant="danger"
                inline
                confirm={{ title: "Remove Enrollment SSO?", message: "Users go back to signing in on a web page during enrollment.", confirmLabel: "Remove" }}
              />
            )}
          </div>
        )}
      </section>
    </div>
  );
}
