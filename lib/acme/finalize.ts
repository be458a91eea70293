// Finalize (RFC 8555 §7.4): the CSR must name exactly the order's identifiers (DNS) or carry
// the key Apple attested (device), then our CA issues it as it issues SCEP identities.
import crypto from "node:crypto";
import * as pkijs from "pkijs";
import { db } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { issueCertificate } from "../pki/certificates";
import { derTlv, oidDer } from "../pki/der";
import { nodePublicKey, spkiDer } from "../pki/keys";
import { EKU } from "../pki/x509";
import { CsrError, parseCsr } from "../scep/csr";
import type { AcmeResult } from "./accounts";
import { describeAttestation, STEP } from "./challenges";
import type { VerifiedJws } from "./jws";
import { identifiersOf, orderObject, ownedOrder, RETRY_AFTER, type Identifier } from "./orders";
import { PERMANENT_IDENTIFIER } from "./policy";
import { AcmeProblem, problem } from "./problem";
import { acmeUrl } from "./urls";

const MAX_CSR_CHARS = 16 * 1024;
const DEVICE_VALIDITY_DAYS = 365;
const DNS_VALIDITY_DAYS = 90;
const OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
const OID_SAN = "2.5.29.17";
const OID_PERMANENT_IDENTIFIER = "1.3.6.1.5.5.7.8.3";

const badCsr = (detail: string, reason: "acme_csr_invalid" | "acme_csr_key_mismatch" = "acme_csr_invalid") => problem("badCSR", detail, reason);

/** EC P-256/P-384 or RSA 2048-8192: what Apple's ACME payload and common clients generate. */
function checkKey(info: pkijs.PublicKeyInfo): "ec" | "rsa" {
  let key: crypto.KeyObject;
  try {
    key = nodePublicKey(info);
  } catch {
    throw badCsr("the CSR's public key cannot be read");
  }
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec" && (d?.namedCurve === "prime256v1" || d?.namedCurve === "secp384r1")) return "ec";
  if (key.asymmetricKeyType === "rsa" && (d?.modulusLength ?? 0) >= 2048 && (d?.modulusLength ?? 0) <= 8192) return "rsa";
  throw badCsr("the CSR's key must be EC P-256, EC P-384 or RSA 2048-8192");
}

/** The DNS names a CSR asks for: its CN and its subjectAltName dNSNames (lowercased). */
function csrNames(csr: pkijs.CertificationRequest): { dns: string[]; other: boolean } {
  const dns: string[] = [];
  let other = false;
  for (const tv of csr.subject.typesAndValues) {
    if (tv.type === "2.5.4.3") dns.push(String(tv.value.valueBlock.value).toLowerCase());
  }
  const req = csr.attributes?.find((a) => a.type === OID_EXTENSION_REQUEST);
  if (req) {
    const exts = new pkijs.Extensions({ schema: req.values[0] });
    for (const e of exts.extensions) {
      if (e.extnID !== OID_SAN) continue;
      const names = e.parsedValue as pkijs.AltName | undefined;
      for (const n of names?.altNames ?? []) {
        if (n.type === 2 && typeof n.value === "string") dns.push(n.value.toLowerCase());
        else other = true;
      }
    }
  }
  return { dns: [...new Set(dns)], other };
}

function sanExtension(ids: Identifier[]): { oid: string; value: Uint8Array } {
  const names = ids.map((i) =>
    i.type === "dns"
      ? derTlv(0x82, Buffer.from(i.value, "ascii"))
      : // otherName PermanentIdentifier (RFC 4043) { identifierValue UTF8String }
        derTlv(0xa0, oidDer(OID_PERMANENT_IDENTIFIER), derTlv(0xa0, derTlv(0x30, derTlv(0x0c, Buffer.from(i.value, "utf8"))))),
  );
  return { oid: OID_SAN, value: derTlv(0x30, ...names) };
}

/** The device record the certificate belongs to, if it exists yet (otherwise Authenticate binds it): by the enrollment's UDID, else the attested serial. */
async function enrolledDevice(enrollmentId: string | null, attestation: string | null): Promise<{ id: string } | null> {
  const enrollment = enrollmentId ? await db().acmeEnrollment.findUnique({ where: { id: enrollmentId }, select: { udid: true } }) : null;
  if (enrollment?.udid) {
    const byUdid = await db().device.findFirst({ where: { udid: enrollment.udid }, select: { id: true } });
    if (byUdid) return byUdid;
  }
  const serial = attestation ? (JSON.parse(attestation) as { serialNumber: string | null }).serialNumber : null;
  return serial ? db().device.findFirst({ where: { serialNumber: serial }, select: { id: true } }) : null;
}

export async function finalizeOrder(req: VerifiedJws, id: string, remoteAddr: string | null): Promise<AcmeResult> {
  const order = await ownedOrder(req, id);
  if (order.status !== "ready") throw problem("orderNotReady", `the order is ${order.status}, not ready`, "acme_order_not_ready");
  const payload = req.payload as Record<string, unknown> | null;
  const csrText = payload && typeof payload === "object" ? payload.csr : undefined;
  if (typeof csrText !== "string" || !csrText.length || csrText.length > MAX_CSR_CHARS || !/^[A-Za-z0-9_-]+$/.test(csrText))
    throw problem("malformed", '"csr" must be a base64url DER PKCS#10 request');
  const ids = identifiersOf(order);
  const device = ids.find((i) => i.type === PERMANENT_IDENTIFIER);
  try {
    let parsed: ReturnType<typeof parseCsr>;
    try {
      parsed = parseCsr(new Uint8Array(Buffer.from(csrText, "base64url")));
    } catch (err) {
      if (err instanceof CsrError) throw badCsr(`the CSR is not valid: ${err.message}`);
      throw err;
    }
    const kind = checkKey(parsed.publicKeyInfo);
    let subject: string;
    let attestation: string | null = null;
    // The UDID the enrollment proved (Profile Service): an Authenticate from another UDID with this certificate is refused.
    let boundUdid: string | null = null;
    if (device) {
      const authz = await db().acmeAuthorization.findFirst({ where: { orderId: order.id, identifierType: PERMANENT_IDENTIFIER, status: "valid" } });
      const attested = authz?.attestedKey ? Buffer.from(authz.attestedKey) : null;
      const requested = Buffer.from(spkiDer(parsed.publicKeyInfo));
      if (!attested || attested.length !== requested.length || !crypto.timingSafeEqual(attested, requested)) {
        throw badCsr("the CSR's public key is not the key Apple attested for this device", "acme_csr_key_mismatch");
      }
      attestation = authz!.attestation;
      const enrollment = order.enrollmentId ? await db().acmeEnrollment.findUnique({ where: { id: order.enrollmentId } }) : null;
      subject = enrollment?.subject ?? `CN=${device.value}`;
      boundUdid = enrollment?.udid ?? null;
    } else {
      const names = csrNames(parsed.csr);
      const want = ids.map((i) => i.value).sort();
      if (names.other || names.dns.length !== want.length || [...names.dns].sort().some((n, i) => n !== want[i])) {
        throw badCsr(`the CSR must name exactly ${want.join(", ")}`);
      }
      subject = `CN=${want[0]}`;
    }
    // One issuance per order, also when a client finalizes twice at once.
    const { count } = await db().acmeOrder.updateMany({ where: { id: order.id, status: "ready" }, data: { status: "processing" } });
    if (count !== 1) throw problem("orderNotReady", "the order is already being finalized", "acme_order_not_ready");
    const deviceRow = device ? await enrolledDevice(order.enrollmentId, attestation) : null;
    try {
      const issued = await issueCertificate({
        publicKeyInfo: parsed.publicKeyInfo,
        subject,
        validityDays: device ? DEVICE_VALIDITY_DAYS : DNS_VALIDITY_DAYS,
        // Apple's mask: 1 signing, 4 encipherment (RSA only: an EC key cannot encipher).
        keyUsage: kind === "rsa" ? 5 : 1,
        extKeyUsage: device ? [EKU.clientAuth] : [EKU.serverAuth, EKU.clientAuth],
        extraExtensions: [sanExtension(ids)],
        deviceId: deviceRow?.id ?? null,
        boundUdid,
      });
      const done = await db().acmeOrder.update({ where: { id: order.id }, data: { status: "valid", certSerial: issued.serial } });
      if (order.enrollmentId) await db().acmeEnrollment.updateMany({ where: { id: order.enrollmentId }, data: { usedAt: new Date(), certSerial: issued.serial } });
      await writeEnrollmentLog({
        step: STEP,
        outcome: "OK",
        message: `ACME issued certificate ${issued.serial} for ${ids.map((i) => `${i.type} ${i.value}`).join(", ")}${attestation ? ` (${describeAttestation(attestation)})` : ""}`,
        deviceIdentifier: device?.value ?? null,
        remoteAddr,
      });
      return { status: 200, body: await orderObject(done), headers: { location: acmeUrl.order(order.id) } };
    } catch (err) {
      await db().acmeOrder.update({
        where: { id: order.id },
        data: { status: "invalid", error: JSON.stringify({ type: "urn:ietf:params:acme:error:serverInternal", detail: "the certificate could not be issued" }) },
      });
      throw err;
    }
  } catch (err) {
    if (err instanceof AcmeProblem && err.type === "badCSR") {
      // RFC 8555 §7.4: a refused CSR leaves the order for another attempt only when the client can fix it; an attested key mismatch cannot be fixed.
      if (err.reason === "acme_csr_key_mismatch") await db().acmeOrder.updateMany({ where: { id: order.id, status: "ready" }, data: { status: "invalid", error: JSON.stringify(err.document()) } });
    }
    throw err;
  }
}

export { RETRY_AFTER };
