// The dashboard's first-run checklist: what a new install still needs before devices can
// enroll and be managed, each step computed from the database and configuration (never a
// box the admin ticks, except "keep the generated CA", which is a decision, not a state).
import { db } from "../db/client";
import { config } from "../config";
import { apnsStatus } from "../mdm/apnsCertificate";
import { readSetting, writeSetting } from "../settings/store";

/** Set when the owner keeps the generated CA or imports their own (overview.ts). */
export const CA_DECIDED_KEY = "checklist.ca";

export type ChecklistId = "push" | "https" | "ca" | "idp" | "group" | "token";

export interface ChecklistItem {
  id: ChecklistId;
  title: string;
  done: boolean;
  /** What is missing (or what was found), one sentence. */
  detail: string;
  /** Where the step is done. */
  href: string;
  /** Done enough to continue, but not right for production (the public URL is http). */
  warning?: boolean;
}

export interface Checklist {
  items: ChecklistItem[];
  complete: boolean;
}

export interface ChecklistConfig {
  publicUrl: string;
  adminIdp: boolean;
}

export async function recordCaDecision(decision: "kept" | "imported"): Promise<void> {
  await writeSetting(CA_DECIDED_KEY, { decision, at: new Date().toISOString() });
}

export async function setupChecklist(cfg: ChecklistConfig = { publicUrl: config().publicUrl, adminIdp: config().adminOidc !== null }): Promise<Checklist> {
  const [push, caDecision, groups, policies, tokens] = await Promise.all([apnsStatus(), readSetting(CA_DECIDED_KEY), db().deviceGroup.count(), db().policy.count(), db().enrollmentToken.count()]);
  const https = cfg.publicUrl.startsWith("https://");
  const pushDone = push.certificate !== null || push.tokenAuth;
  const items: ChecklistItem[] = [
    {
      id: "push",
      title: "Upload the push certificate",
      done: pushDone,
      detail: pushDone ? "Devices can be woken for commands." : "Without an APNs certificate devices enroll but never hear about new commands.",
      href: "/admin/settings#apns",
    },
    {
      id: "https",
      title: "Serve a public HTTPS URL",
      done: https,
      warning: !https,
      detail: https
        ? `Devices reach this server at ${cfg.publicUrl}.`
        : `PUBLIC_URL is ${cfg.publicUrl}: Apple devices refuse MDM over plain http. Put a TLS reverse proxy in front and set PUBLIC_URL to its https:// address.`,
      href: "/admin/settings#server",
    },
    {
      id: "ca",
      title: "Keep the generated CA or import yours",
      done: caDecision !== undefined,
      detail: caDecision !== undefined ? "The CA that signs device identities is settled." : "Import your own CA now if devices should trust it: changing it later means enrolling every device again.",
      href: "/admin/settings#ca",
    },
    {
      id: "idp",
      title: "Sign admins in through your identity provider",
      done: cfg.adminIdp,
      detail: cfg.adminIdp
        ? "Admins sign in with single sign-on; the local password is the break-glass account."
        : "Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET so admins use their work accounts.",
      href: "/admin/settings#idp",
    },
    {
      id: "group",
      title: "Create a first group and policy",
      done: groups > 0 && policies > 0,
      detail:
        groups === 0
          ? "Groups decide which profiles and commands a device gets."
          : policies === 0
            ? "The group has no policy yet: add a profile to it."
            : "Enrolled devices receive their group's policies.",
      href: "/admin/groups",
    },
    {
      id: "token",
      title: "Create a first enrollment link",
      done: tokens > 0,
      detail: tokens > 0 ? "Share a link or its QR code to enroll devices." : "An OTA link (or QR code) is how a device starts enrolling.",
      href: "/admin/enrollment/tokens/new",
    },
  ];
  return { items, complete: items.every((i) => i.done) };
}
