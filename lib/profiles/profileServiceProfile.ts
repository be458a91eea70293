// Phase one of device-bound OTA enrollment: the "Profile Service" profile (Apple, "Over-the-Air
// Profile Delivery and Configuration"). Installing it makes the device POST its attributes,
// CMS-signed with its Apple-issued device identity, to URL; the answer is the enrollment profile.
import crypto from "node:crypto";
import { build as buildPlist } from "plist";
import { ProfileOptionsError, type PlistObject } from "./enrollmentProfile";

/** What we ask the device for: enough to bind the enrollment and to choose ACME or SCEP from the model. */
export const PROFILE_SERVICE_ATTRIBUTES = ["UDID", "SERIAL", "PRODUCT", "VERSION", "DEVICE_NAME"] as const;

export interface ProfileServiceOptions {
  /** Where the device posts its signed attributes (https). */
  url: string;
  /** Echoed back by the device as CHALLENGE: ties the answer to this download. */
  challenge: string;
  displayName: string;
  organization?: string;
  description?: string;
  identifierBase: string;
}

export function buildProfileServiceProfile(o: ProfileServiceOptions): string {
  const u = new URL(o.url);
  const loopback = u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  if (u.protocol !== "https:" && !loopback) throw new ProfileOptionsError(`the Profile Service URL must be https: ${o.url}`);
  const top: PlistObject = {
    PayloadType: "Profile Service",
    PayloadVersion: 1,
    PayloadIdentifier: `${o.identifierBase}.profile-service`,
    PayloadUUID: crypto.randomUUID().toUpperCase(),
    PayloadDisplayName: o.displayName,
    PayloadDescription: o.description ?? "Sends this device's identity to your organisation so it can prepare the device's enrollment profile.",
    PayloadContent: { URL: o.url, DeviceAttributes: [...PROFILE_SERVICE_ATTRIBUTES], Challenge: o.challenge },
  };
  if (o.organization) top.PayloadOrganization = o.organization;
  return buildPlist(top);
}
