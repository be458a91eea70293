// Settings: server URL, CA certificate (download, import), APNs push certificate, admin
// sign-in (IdP) and branding.
import { hasRole } from "@/lib/auth/roles";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { pendingPushRequest } from "@/lib/mdm/pushCertificateRequest";
import { apnsStatus } from "@/lib/mdm/apnsCertificate";
import { getBranding } from "@/lib/settings/branding";
import { brandingLogoUrl, LOGO_MAX_BYTES } from "@/lib/settings/brandingLogo";
import { getReEnrollmentSettings, REENROLLMENT_POLICIES, REENROLLMENT_POLICY_LABELS } from "@/lib/settings/reenrollment";
import { adminSignInSettings, caInfo, serverUrls } from "@/lib/inventory/overview";
import { acmeUrl } from "@/lib/acme/urls";
import { ActionForm } from "@/components/ui/ActionForm";
import { Badge } from "@/components/ui/Badge";
import { PageHeader } from "@/components/ui/PageHeader";
import { formatUtc } from "@/components/ui/format";
import { btnSecondary, card, hint, input, label, link } from "@/components/ui/styles";
import { createPushRequestAction, importCaAction, saveBrandingAction, saveDeviceLimitAction, saveReEnrollmentAction, uploadApnsAction, vendorSignAction } from "./actions";
import { getDeviceLimitSetting } from "@/lib/enrollment/deviceLimit";
import { DeviceLimitSettings } from "@/components/governance/DeviceLimitSettings";

export const dynamic = "force-dynamic";
export const metadata = { title: "Settings" };

function Row({ name, children }: { name: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 py-1.5 text-sm sm:grid-cols-[12rem_1fr]">
      <dt className="text-slate-600 dark:text-slate-400">{name}</dt>
      <dd className="min-w-0 break-all">{children}</dd>
    </div>
  );
}

function Section({ id, title, children, description }: { id: string; title: string; children: React.ReactNode; description?: React.ReactNode }) {
  return (
    <section id={id} aria-labelledby={`${id}-h`} className={`${card} scroll-mt-4`}>
      <h2 id={`${id}-h`} className="font-semibold">
        {title}
      </h2>
      {description && <p className="mb-2 mt-1 text-sm text-slate-600 dark:text-slate-400">{description}</p>}
      <div className="mt-2">{children}</div>
    </section>
  );
}

function PemInputs({ prefix, certLabel, keyLabel }: { prefix: string; certLabel: string; keyLabel: string }) {
  return (
    <div className="grid gap-3 md:grid-cols-2">
      <div>
        <label htmlFor={`${prefix}CertFile`} className={label}>
          {certLabel} (PEM file)
        </label>
        <input id={`${prefix}CertFile`} name={`${prefix}CertFile`} type="file" accept=".pem,.crt,.cer" className={input} />
        <label htmlFor={`${prefix}Cert`} className={`${label} mt-2`}>
          …or paste it
        </label>
        <textarea id={`${prefix}Cert`} name={`${prefix}Cert`} rows={3} placeholder="-----BEGIN CERTIFICATE-----" className={`${input} font-mono text-xs`} />
      </div>
      <div>
        <label htmlFor={`${prefix}KeyFile`} className={label}>
          {keyLabel} (PEM file)
        </label>
        <input id={`${prefix}KeyFile`} name={`${prefix}KeyFile`} type="file" accept=".pem,.key" className={input} />
        <label htmlFor={`${prefix}Key`} className={`${label} mt-2`}>
          …or paste it
        </label>
        <textarea id={`${prefix}Key`} name={`${prefix}Key`} rows={3} autoComplete="off" placeholder="-----BEGIN PRIVATE KEY-----" className={`${input} font-mono text-xs`} />
      </div>
    </div>
  );
}

export default async function SettingsPage() {
  const admin = await requireAdmin();
  const writable = canWrite(admin);
  const owner = hasRole(admin.role, "OWNER");
  const urls = serverUrls();
  const [ca, apns, branding, reEnrollment, pushRequest, logoUrl, deviceLimit] = await Promise.all([
    caInfo(),
    apnsStatus(),
    getBranding(),
    getReEnrollmentSettings(),
    pendingPushRequest(),
    brandingLogoUrl(),
    getDeviceLimitSetting(),
  ]);
  const idp = adminSignInSettings();
  return (
    <div className="max-w-4xl space-y-6">
      <PageHeader title="Settings" />
      <nav aria-label="Settings sections" className="flex flex-wrap gap-2 text-sm">
        {[
          ["server", "Server URL"],
          ["ca", "CA certificate"],
          ["apns", "APNs push certificate"],
          ["reenrollment", "Re-enrollment"],
          ["idp", "Admin sign-in"],
          ["branding", "Branding"],
        ].map(([id, text]) => (
          <a key={id} href={`#${id}`} className={btnSecondary}>
            {text}
          </a>
        ))}
      </nav>

      <Section
        id="server"
        title="Server URL"
        description="Devices reach the server at this address; it is set with PUBLIC_URL when the server starts. Changing it means enrolled devices must enroll again."
      >
        <dl>
          <Row name="Public URL">
            <code>{urls.publicUrl}</code>
          </Row>
          <Row name="Enrollment page">
            <code>{urls.enrollUrl}</code>
          </Row>
          <Row name="ACME directory">
            <code>{acmeUrl.directory()}</code> (
            <a className={link} href="/admin/settings/acme">
              ACME settings
            </a>
            )
          </Row>
          <Row name="MDM check-in URL">
            <code>{urls.checkInUrl}</code>
          </Row>
          <Row name="MDM server URL">
            <code>{urls.serverUrl}</code>
          </Row>
        </dl>
      </Section>

      <Section
        id="ca"
        title="CA certificate"
        description="The root that issues device identity certificates and that enrollment profiles ask devices to trust. If a profile shows as untrusted, install this root first."
      >
        <dl>
          <Row name="Subject">{ca.subject}</Row>
          <Row name="Valid">
            {formatUtc(ca.notBefore)} – {formatUtc(ca.notAfter)}
          </Row>
          <Row name="Key">{ca.keyBits ? `RSA ${ca.keyBits}` : "—"}</Row>
          <Row name="SHA-256 fingerprint">
            <code className="text-xs">{ca.fingerprint}</code>
          </Row>
          {ca.rootSubject && <Row name="Root">{ca.rootSubject}</Row>}
          <Row name="SCEP RA">
            {ca.ra.subject}, until {formatUtc(ca.ra.notAfter)} (re-issued automatically 30 days before)
          </Row>
        </dl>
        <div className="mt-3 flex flex-wrap gap-2">
          <a href="/ca" className={btnSecondary} download>
            Download CA certificate (DER)
          </a>
          <a href="/ca.pem" className={btnSecondary} download>
            Download PEM
          </a>
        </div>
        {owner && (
          <details className="mt-4">
            <summary className="cursor-pointer text-sm font-medium text-brand-700 dark:text-brand-100">Import your own CA</summary>
            <ActionForm
              action={importCaAction}
              submitLabel="Import CA"
              pendingLabel="Importing…"
              className="mt-3 space-y-3"
              confirm={{
                title: "Replace the CA?",
                message: "New certificates are issued by the imported CA. Devices enrolled under the current CA keep working only until they renew; plan to re-enroll them.",
                confirmLabel: "Replace CA",
              }}
            >
              <PemInputs prefix="ca" certLabel="CA certificate" keyLabel="CA private key (RSA, unencrypted)" />
              <p className={hint}>For a subordinate CA, put its issuer certificates up to the root in the same PEM file, after the CA. The key is sealed with MDM_SECRET before it is stored.</p>
            </ActionForm>
          </details>
        )}
      </Section>

      <Section
        id="apns"
        title="APNs push certificate"
        description="Apple devices do not poll: after enrollment they contact this server only when woken by an Apple push (APNs). Without a push certificate an enrolled device never fetches its commands, so enrollment is refused until one is added. The certificate is free, from Apple's Push Certificates Portal, and must be renewed every year under the same Apple ID."
      >
        <dl>
          <Row name="Status">
            {apns.certificate ? (
              apns.expired ? (
                <Badge tone="red">Expired</Badge>
              ) : apns.expiresSoon ? (
                <Badge tone="amber">Expires in {apns.daysLeft} days</Badge>
              ) : (
                <Badge tone="green">Configured</Badge>
              )
            ) : apns.labWithoutPush ? (
              <Badge tone="amber">None: lab setting ALLOW_ENROLL_WITHOUT_PUSH is on</Badge>
            ) : (
              <Badge tone="red">Not configured: enrollment is refused</Badge>
            )}
          </Row>
          <Row name="Push topic">
            {apns.topic ? <code>{apns.topic}</code> : "none"}
            {apns.labWithoutPush && " (placeholder: devices enrolled now can never be pushed)"}
          </Row>
          {apns.certificate && <Row name="Expires">{formatUtc(apns.certificate.notAfter)}</Row>}
          {apns.certificate && <Row name="Subject">{apns.certificate.subject}</Row>}
        </dl>
        {writable && (
          <details className="mt-4" open={!apns.certificate || apns.expiresSoon}>
            <summary className="cursor-pointer text-sm font-medium text-brand-700 dark:text-brand-100">{apns.certificate ? "Renew or replace the push certificate" : "Get a push certificate"}</summary>
            <ol className="mt-3 space-y-5 text-sm">
              <li>
                <h3 className="font-medium">1. Generate the push key and certificate request</h3>
                <p className={hint}>The key is created on this server and stored sealed; it never leaves it.</p>
                <div className="mt-2 flex flex-wrap items-center gap-3">
                  <ActionForm
                    action={createPushRequestAction}
                    submitLabel={pushRequest ? "Generate a new request" : "Generate request"}
                    pendingLabel="Generating…"
                    variant={pushRequest ? "secondary" : "primary"}
                    inline
                  />
                  {pushRequest && (
                    <a className={btnSecondary} download="push.csr" href={`data:application/pkcs10;charset=utf-8,${encodeURIComponent(pushRequest.csrPem)}`}>
                      Download CSR (generated {formatUtc(pushRequest.createdAt)})
                    </a>
                  )}
                </div>
              </li>
              <li>
                <h3 className="font-medium">2. Have the request signed by an MDM vendor</h3>
                <p className={hint}>
                  Apple accepts only requests signed by an MDM vendor certificate. Either: (a) your organisation has an Apple Developer account with the &ldquo;MDM CSR&rdquo; certificate type enabled
                  (ask Apple for it): upload it below and this server signs the request; or (b) send the CSR to a vendor signing service for open-source MDMs, such as mdmcert.download, or to your MDM
                  reseller, and take the signed request they return to step 3.
                </p>
                {pushRequest ? (
                  <ActionForm action={vendorSignAction} submitLabel="Sign the request" pendingLabel="Signing…" className="mt-2 space-y-3">
                    <div className="grid gap-3 md:grid-cols-2">
                      <div>
                        <label htmlFor="vendorP12File" className={label}>
                          MDM vendor identity (.p12)
                        </label>
                        <input id="vendorP12File" name="vendorP12File" type="file" accept=".p12,.pfx" className={input} />
                        <label htmlFor="vendorPassword" className={`${label} mt-2`}>
                          Its password
                        </label>
                        <input id="vendorPassword" name="vendorPassword" type="password" autoComplete="off" className={input} />
                      </div>
                      <div>
                        <label htmlFor="vendorCertFile" className={label}>
                          …or the MDM CSR certificate (.cer/.pem)
                        </label>
                        <input id="vendorCertFile" name="vendorCertFile" type="file" accept=".cer,.crt,.pem" className={input} />
                        <label htmlFor="vendorKeyFile" className={`${label} mt-2`}>
                          and its private key (PEM, unencrypted)
                        </label>
                        <input id="vendorKeyFile" name="vendorKeyFile" type="file" accept=".pem,.key" className={input} />
                      </div>
                    </div>
                    <div>
                      <label htmlFor="vendorChainFile" className={label}>
                        Apple&rsquo;s WWDR intermediate and Apple Inc. root certificates
                      </label>
                      <input id="vendorChainFile" name="vendorChainFile" type="file" accept=".cer,.crt,.pem" multiple className={input} />
                      <p className={hint}>From apple.com/certificateauthority; Apple&rsquo;s portal wants the full chain. The vendor key is used once and not stored.</p>
                    </div>
                  </ActionForm>
                ) : (
                  <p className={hint}>Generate the request first.</p>
                )}
              </li>
              <li>
                <h3 className="font-medium">3. Get the certificate from Apple</h3>
                <p className={hint}>
                  Sign in at identity.apple.com (Apple Push Certificates Portal) with a company Apple Account you will keep. To renew, choose Renew on the existing certificate: a new certificate
                  (Create) gets a new topic, and every enrolled device would have to enroll again. Upload the signed request and download the certificate (.pem).
                </p>
              </li>
              <li>
                <h3 className="font-medium">4. Upload the push certificate</h3>
                <ActionForm action={uploadApnsAction} submitLabel="Save push certificate" pendingLabel="Checking…" className="mt-2 space-y-3">
                  <div className="grid gap-3 md:grid-cols-2">
                    <div>
                      <label htmlFor="apnsCertFile" className={label}>
                        Push certificate (.pem from Apple)
                      </label>
                      <input id="apnsCertFile" name="apnsCertFile" type="file" accept=".pem,.cer,.crt" className={input} />
                      <p className={hint}>Matched against the key of the request generated here.</p>
                      <label htmlFor="apnsCert" className={`${label} mt-2`}>
                        …or paste it
                      </label>
                      <textarea id="apnsCert" name="apnsCert" rows={3} placeholder="-----BEGIN CERTIFICATE-----" className={`${input} font-mono text-xs`} />
                    </div>
                    <div>
                      <label htmlFor="apnsP12File" className={label}>
                        …or a .p12 with certificate and key
                      </label>
                      <input id="apnsP12File" name="apnsP12File" type="file" accept=".p12,.pfx" className={input} />
                      <label htmlFor="apnsPassword" className={`${label} mt-2`}>
                        Its password
                      </label>
                      <input id="apnsPassword" name="apnsPassword" type="password" autoComplete="off" className={input} />
                      <label htmlFor="apnsKeyFile" className={`${label} mt-2`}>
                        …or the certificate&rsquo;s own key (PEM), for one made elsewhere
                      </label>
                      <input id="apnsKeyFile" name="apnsKeyFile" type="file" accept=".pem,.key" className={input} />
                    </div>
                  </div>
                  <label className="flex items-start gap-2 text-sm">
                    <input type="checkbox" name="confirmTopicChange" className="mt-1" />
                    <span>If this certificate has another topic: I understand that devices enrolled under the current topic can no longer be reached and must enroll again.</span>
                  </label>
                </ActionForm>
              </li>
            </ol>
          </details>
        )}
      </Section>

      <Section
        id="reenrollment"
        title="Re-enrollment"
        description="Who may re-enroll a device the server already knows (an Authenticate with its UDID or Enrollment ID from a new identity certificate). Whatever the rule, the new identity gets nothing of the old one: queued commands, the escrowed bootstrap token, push and unlock tokens are dropped and the previous certificate is revoked. A held re-enrollment waits on the device's page for you to approve or deny it."
      >
        {writable ? (
          <ActionForm action={saveReEnrollmentAction} submitLabel="Save re-enrollment rule" pendingLabel="Saving…" className="space-y-3">
            <fieldset className="space-y-2">
              <legend className="sr-only">Who may re-enroll a known device</legend>
              {REENROLLMENT_POLICIES.map((p) => (
                <label key={p} className="flex items-start gap-2 text-sm">
                  <input type="radio" name="policy" value={p} defaultChecked={reEnrollment.policy === p} className="mt-1" />
                  <span>
                    <span className="font-medium">{REENROLLMENT_POLICY_LABELS[p].title}</span>
                    {p === "same-enrollment" && <span className="text-slate-600 dark:text-slate-400"> (default)</span>}
                    <span className="block text-slate-600 dark:text-slate-400">{REENROLLMENT_POLICY_LABELS[p].description}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          </ActionForm>
        ) : (
          <dl>
            <Row name="Rule">{REENROLLMENT_POLICY_LABELS[reEnrollment.policy].title}</Row>
          </dl>
        )}
      </Section>
      <Section id="enrollment" title="Enrollment" description="Governance that applies to every enrollment unless a routing rule or token sets its own.">
        <DeviceLimitSettings limit={deviceLimit} writable={writable} action={saveDeviceLimitAction} />
      </Section>

      <Section
        id="idp"
        title="Admin sign-in"
        description="Admins sign in with the organisation's identity provider (OpenID Connect); local email and password accounts stay as break-glass access. These come from the server's environment; see docs/admin-sign-in.md for Okta, Microsoft Entra ID and Google Workspace."
      >
        <dl>
          <Row name="Identity provider">
            {idp.oidc ? (
              <>
                {idp.oidc.name} <Badge tone="green">Enabled</Badge>
              </>
            ) : (
              <Badge tone="slate">Not configured (OIDC_ISSUER)</Badge>
            )}
          </Row>
          {idp.oidc && (
            <Row name="Issuer">
              <code>{idp.oidc.issuer}</code>
            </Row>
          )}
          {idp.oidc && (
            <Row name="Client ID">
              <code>{idp.oidc.clientId}</code>
            </Row>
          )}
          <Row name="Redirect URI to register">
            <code>{idp.callbackUrl}</code>
          </Row>
          <Row name="Scopes">
            <code>{idp.scope}</code>
          </Row>
          <Row name="Allowed email domains">{idp.domains.length ? idp.domains.join(", ") : "none"}</Row>
          <Row name="Allowed groups">{idp.groups.length ? idp.groups.join(", ") : "none"}</Row>
          <Row name="Admin groups">{idp.adminGroups.length ? idp.adminGroups.join(", ") : "none"}</Row>
          <Row name="Owner groups">{idp.ownerGroups.length ? idp.ownerGroups.join(", ") : "none"}</Row>
          <Row name="Default role">{idp.defaultRole === "READ_ONLY" ? "Read-only" : idp.defaultRole === "ADMIN" ? "Admin" : "Owner"}</Row>
          <Row name="Groups claim">
            <code>{idp.groupsClaim}</code>
          </Row>
        </dl>
      </Section>

      <Section id="branding" title="Branding" description="Shown to admins and on enrollment pages.">
        {writable ? (
          <ActionForm action={saveBrandingAction} submitLabel="Save branding" pendingLabel="Saving…" className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
            <div>
              <label htmlFor="organizationName" className={label}>
                Organisation name
              </label>
              <input id="organizationName" name="organizationName" maxLength={100} defaultValue={branding.organizationName} className={input} />
            </div>
            <div>
              <label htmlFor="supportContact" className={label}>
                Support contact
              </label>
              <input id="supportContact" name="supportContact" maxLength={200} defaultValue={branding.supportContact} placeholder="it@example.com" className={input} />
            </div>
            <div className="sm:col-span-2">
              <label htmlFor="logo" className={label}>
                Logo (PNG, JPEG or WebP, at most {LOGO_MAX_BYTES / 1024} KB)
              </label>
              <input id="logo" name="logo" type="file" accept="image/png,image/jpeg,image/webp" className="block text-sm" />
              {logoUrl && (
                <label className="mt-2 flex items-center gap-2 text-sm">
                  {/* eslint-disable-next-line @next/next/no-img-element -- our own small logo route */}
                  <img src={logoUrl} alt="Current logo" height={32} className="max-h-8" />
                  <input type="checkbox" name="removeLogo" /> Remove the logo
                </label>
              )}
              <label className="mt-3 flex items-start gap-2 text-sm">
                <input type="checkbox" name="offerRootProfile" defaultChecked={branding.offerRootProfile === true} className="mt-1" />
                <span>Offer the root certificate profile on the enroll page (this server&apos;s TLS certificate is not publicly trusted). Always offered while PUBLIC_URL is http.</span>
              </label>
            </div>
          </ActionForm>
        ) : (
          <dl>
            <Row name="Organisation name">{branding.organizationName || "—"}</Row>
            <Row name="Support contact">{branding.supportContact || "—"}</Row>
            <Row name="Logo">{logoUrl ? "Uploaded" : "—"}</Row>
          </dl>
        )}
      </Section>
    </div>
  );
}
