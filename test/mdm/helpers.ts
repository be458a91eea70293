// Shared set-up for MDM endpoint tests: the real route modules on a local HTTP server and
// identity certificates issued by the real CA.
import crypto from "node:crypto";
import type * as pkijs from "pkijs";
import { issueCertificate } from "@/lib/pki/certificates";
import { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } from "@/lib/pki/keys";
import { buildCertificate, certificateDer } from "@/lib/pki/x509";
import { nameFromString } from "@/lib/pki/names";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { SimDevice, type SimDeviceOptions, type SimIdentity } from "@/test/sim/device";

export async function serveMdm(): Promise<RouteServer> {
  return serveRouteImports({
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
  });
}

/** Everything a device touches from the token link on: profile download, SCEP, check-in, commands. */
export async function serveOtaEnrollment(): Promise<RouteServer> {
  return serveRouteImports({
    "/enroll/profile": import("@/app/enroll/profile/route"),
    "/enroll": import("@/app/enroll/route"),
    "/e/[id]": import("@/app/e/[id]/route"),
    "/scep/[id]": import("@/app/scep/[id]/route"),
    "/mdm/checkin": import("@/app/mdm/checkin/route"),
    "/mdm/connect": import("@/app/mdm/connect/route"),
  });
}

/** An identity certificate issued by our CA, as the SCEP service would. */
export async function issueIdentity(subject: string, link: { enrollmentTokenId?: string | null; userId?: string | null } = {}): Promise<SimIdentity & { serial: string }> {
  const keys = await generateRsaKeyPair(2048);
  const { serial, der } = await issueCertificate({
    publicKeyInfo: publicKeyInfoFromPem(keys.publicPem),
    subject,
    validityDays: 365,
    keyUsage: 5,
    enrollmentTokenId: link.enrollmentTokenId ?? null,
    userId: link.userId ?? null,
  });
  return { certDer: der, privateKeyPem: keys.privatePem, serial };
}

/** A self-signed certificate this server never issued. */
export async function foreignIdentity(subject: string): Promise<SimIdentity> {
  const keys = await generateRsaKeyPair(2048);
  const info = publicKeyInfoFromPem(keys.publicPem);
  const cert: pkijs.Certificate = await buildCertificate(
    {
      subject: nameFromString(subject),
      issuer: nameFromString(subject),
      publicKeyInfo: info,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsageBits: [0],
    },
    await importSigningKey(keys.privatePem),
  );
  return { certDer: certificateDer(cert), privateKeyPem: keys.privatePem };
}

export async function simDevice(server: RouteServer, topic: string, identity: SimIdentity, opts: SimDeviceOptions = {}): Promise<SimDevice> {
  const d = new SimDevice({ checkInUrl: `${server.url}/mdm/checkin`, serverUrl: `${server.url}/mdm/connect`, topic, ...opts });
  await d.useIdentity(identity);
  return d;
}

export const randomUdid = () => `00008030-${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
