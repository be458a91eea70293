// Service discovery (seed 003 steps 2-3): GET /.well-known/com.apple.remotemanagement
// ?user-identifier=…&model-family=… answers which enrollment the person gets and where.
// Refusals use Apple's well-known failed document (mdm/errors/well-known.failed.yaml), so
// the device can fall back to Apple Business/School Manager's discovery.
import { config } from "../config";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import type { EnrollmentVersion } from "./accessTokens";
import { isModelFamily, resolveRoute } from "./routes";
import { parseIdentifier } from "./users";

export interface DiscoveryResponse {
  status: 200 | 400 | 403;
  body: Record<string, unknown>;
}

/** This server's BaseURL for an enrollment type (app/adde/[mode]/route.ts). */
export function enrollBaseUrl(version: EnrollmentVersion): string {
  return `${config().publicUrl}/adde/${version === "mdm-adde" ? "adde" : "byod"}`;
}

function failed(status: 400 | 403, description: string, message: string): DiscoveryResponse {
  return { status, body: { code: "com.apple.well-known.failed", description, message } };
}

export async function discover(params: URLSearchParams, remoteAddr?: string | null): Promise<DiscoveryResponse> {
  const raw = params.get("user-identifier");
  const family = params.get("model-family");
  const who = parseIdentifier(raw);
  if (!who) {
    await writeEnrollmentLog({
      step: "adde.discovery",
      outcome: "ERROR",
      reason: "discovery_bad_identifier",
      message: raw ? `service discovery for "${raw.slice(0, 200)}", which is not user@domain` : "service discovery without a user-identifier parameter",
      userIdentifier: raw?.slice(0, 320) ?? null,
      remoteAddr,
    });
    return failed(400, "user-identifier must be user@domain", "Enter your work account as name@company.com.");
  }
  // Unknown families (a future device type) match only rules without a family.
  const modelFamily = isModelFamily(family) ? family : null;
  const route = await resolveRoute(who, modelFamily);
  if (!route) {
    await writeEnrollmentLog({
      step: "adde.discovery",
      outcome: "ERROR",
      reason: "discovery_unknown_domain",
      message: `service discovery miss: no routing rule for ${who.identifier} (${family ?? "no model family"})`,
      userIdentifier: who.identifier,
      remoteAddr,
    });
    return failed(403, `no account-driven enrollment for ${who.domain}`, "This account cannot enroll devices with this organisation's server.");
  }
  const baseUrl = route.baseUrl ?? enrollBaseUrl(route.version);
  await writeEnrollmentLog({
    step: "adde.discovery",
    outcome: "OK",
    message: `service discovery hit: ${who.identifier} (${family ?? "no model family"}) → ${route.version} at ${baseUrl}`,
    userIdentifier: who.identifier,
    remoteAddr,
    unauthenticated: true,
  });
  return { status: 200, body: { Servers: [{ Version: route.version, BaseURL: baseUrl }] } };
}
