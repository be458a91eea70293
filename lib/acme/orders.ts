// Orders and authorizations (RFC 8555 §7.4, §7.5): identifiers checked against policy when
// the order is created, one authorization per identifier with its one challenge.
import crypto from "node:crypto";
import { db } from "../db/client";
import type { AcmeAuthorization, AcmeOrder } from "../db/generated/sqlite/client";
import type { AcmeResult } from "./accounts";
import type { VerifiedJws } from "./jws";
import { allowedDnsDomains, DEVICE_ID_PATTERN, dnsNameAllowed, inventoryMatch, isDnsName, PERMANENT_IDENTIFIER } from "./policy";
import { problem } from "./problem";
import { acmeUrl } from "./urls";

const ORDER_LIFETIME_MS = 60 * 60_000;
const MAX_DNS_IDENTIFIERS = 10;
export const DEVICE_ATTEST = "device-attest-01";
export const HTTP_01 = "http-01";
/** Polling clients wait this long (seconds) before asking again about something pending. */
export const RETRY_AFTER = "2";

export interface Identifier {
  type: string;
  value: string;
}

export const identifiersOf = (o: AcmeOrder): Identifier[] => JSON.parse(o.identifiers) as Identifier[];

function parseIdentifiers(value: unknown): Identifier[] {
  if (!Array.isArray(value) || value.length === 0) throw problem("malformed", "identifiers must be a non-empty array");
  if (value.length > MAX_DNS_IDENTIFIERS) throw problem("rejectedIdentifier", `at most ${MAX_DNS_IDENTIFIERS} identifiers per order`, "acme_rejected_identifier");
  const out: Identifier[] = [];
  for (const v of value) {
    if (!v || typeof v !== "object" || typeof (v as Identifier).type !== "string" || typeof (v as Identifier).value !== "string")
      throw problem("malformed", 'each identifier is an object with string "type" and "value"');
    const { type, value: raw } = v as Identifier;
    if (type === "dns") out.push({ type, value: raw.toLowerCase() });
    else if (type === PERMANENT_IDENTIFIER) out.push({ type, value: raw });
    else throw problem("unsupportedIdentifier", `identifier type ${JSON.stringify(type.slice(0, 40))} is not supported (dns, permanent-identifier)`, "acme_rejected_identifier");
  }
  if (new Set(out.map((i) => `${i.type}:${i.value}`)).size !== out.length) throw problem("malformed", "an identifier is listed twice");
  return out;
}

async function checkPolicy(ids: Identifier[]): Promise<string | null> {
  const devices = ids.filter((i) => i.type === PERMANENT_IDENTIFIER);
  if (devices.length && ids.length > 1) throw problem("rejectedIdentifier", "a permanent-identifier order names exactly one device", "acme_rejected_identifier");
  if (devices.length) {
    const id = devices[0].value;
    if (!DEVICE_ID_PATTERN.test(id))
      throw problem("rejectedIdentifier", "a permanent-identifier is a serial number or UDID (letters, digits, hyphens)", "acme_rejected_identifier", { identifier: devices[0] });
    const match = await inventoryMatch(id);
    if (!match)
      throw problem("rejectedIdentifier", `device ${id} is not in this organisation's inventory (no current enrollment, not pre-registered)`, "acme_not_in_inventory", { identifier: devices[0] });
    return match.kind === "enrollment" ? match.enrollment.id : null;
  }
  const domains = await allowedDnsDomains();
  for (const i of ids) {
    if (i.value.startsWith("*.")) throw problem("rejectedIdentifier", "wildcard names are not issued (http-01 cannot validate them)", "acme_rejected_identifier", { identifier: i });
    if (!isDnsName(i.value) && i.value !== "localhost") throw problem("rejectedIdentifier", `${JSON.stringify(i.value.slice(0, 80))} is not a DNS name`, "acme_rejected_identifier", { identifier: i });
    if (!dnsNameAllowed(i.value, domains)) {
      throw problem(
        "rejectedIdentifier",
        domains.length ? `${i.value} is not under an allowed domain` : "this server issues no certificates for DNS names (no allowed domains configured)",
        "acme_rejected_identifier",
        { identifier: i },
      );
    }
  }
  return null;
}

export async function newOrder(req: VerifiedJws): Promise<AcmeResult> {
  const payload = req.payload as Record<string, unknown> | null;
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw problem("malformed", "the payload must be a JSON object");
  if (payload.notBefore !== undefined || payload.notAfter !== undefined) throw problem("malformed", "notBefore and notAfter are not supported: the CA sets the validity");
  const ids = parseIdentifiers(payload.identifiers);
  const enrollmentId = await checkPolicy(ids);
  const accountId = req.account!.id;
  const expires = new Date(Date.now() + ORDER_LIFETIME_MS);
  const order = await db().$transaction(async (tx) => {
    const o = await tx.acmeOrder.create({ data: { accountId, status: "pending", identifiers: JSON.stringify(ids), expires, enrollmentId } });
    for (const i of ids) {
      await tx.acmeAuthorization.create({
        data: {
          orderId: o.id,
          accountId,
          identifierType: i.type,
          identifierValue: i.value,
          status: "pending",
          expires,
          challengeType: i.type === PERMANENT_IDENTIFIER ? DEVICE_ATTEST : HTTP_01,
          challengeToken: crypto.randomBytes(32).toString("base64url"),
        },
      });
    }
    return o;
  });
  return { status: 201, body: await orderObject(order), headers: { location: acmeUrl.order(order.id) } };
}

/** An order past its expiry that never became valid is invalid (§7.1.6). */
export async function freshOrder(order: AcmeOrder, now = new Date()): Promise<AcmeOrder> {
  if (order.expires <= now && order.status !== "valid" && order.status !== "invalid") {
    return db().acmeOrder.update({ where: { id: order.id }, data: { status: "invalid", error: JSON.stringify({ type: "urn:ietf:params:acme:error:malformed", detail: "the order expired" }) } });
  }
  return order;
}

export async function orderObject(order: AcmeOrder): Promise<Record<string, unknown>> {
  const authz = await db().acmeAuthorization.findMany({ where: { orderId: order.id }, select: { id: true }, orderBy: { id: "asc" } });
  return {
    status: order.status,
    expires: order.expires.toISOString(),
    identifiers: identifiersOf(order),
    authorizations: authz.map((a) => acmeUrl.authz(a.id)),
    finalize: acmeUrl.finalize(order.id),
    ...(order.certSerial ? { certificate: acmeUrl.certificate(order.certSerial) } : {}),
    ...(order.error ? { error: JSON.parse(order.error) as unknown } : {}),
  };
}

/** Rows are found only through their owning account: another account's URL is "not found". */
export async function ownedOrder(req: VerifiedJws, id: string): Promise<AcmeOrder> {
  const order = await db().acmeOrder.findUnique({ where: { id } });
  if (!order || order.accountId !== req.account!.id) throw problem("malformed", "no such order for this account", null, { status: 404 });
  return freshOrder(order);
}

export async function getOrder(req: VerifiedJws, id: string): Promise<AcmeResult> {
  const order = await ownedOrder(req, id);
  const pending = order.status === "pending" || order.status === "processing";
  return { status: 200, body: await orderObject(order), headers: pending ? { "retry-after": RETRY_AFTER } : {} };
}

export async function listOrders(req: VerifiedJws, accountId: string): Promise<AcmeResult> {
  if (req.account!.id !== accountId) throw problem("unauthorized", "another account's orders", null);
  const orders = await db().acmeOrder.findMany({ where: { accountId, status: { in: ["pending", "ready", "processing", "valid"] } }, orderBy: { createdAt: "desc" }, take: 100, select: { id: true } });
  return { status: 200, body: { orders: orders.map((o) => acmeUrl.order(o.id)) } };
}

export function challengeObject(a: AcmeAuthorization): Record<string, unknown> {
  return {
    type: a.challengeType,
    url: acmeUrl.challenge(a.id),
    status: a.challengeStatus,
    token: a.challengeToken,
    ...(a.validatedAt ? { validated: a.validatedAt.toISOString() } : {}),
    ...(a.challengeError ? { error: JSON.parse(a.challengeError) as unknown } : {}),
  };
}

export function authzObject(a: AcmeAuthorization, now = new Date()): Record<string, unknown> {
  const status = a.status === "pending" && a.expires <= now ? "expired" : a.status;
  return { identifier: { type: a.identifierType, value: a.identifierValue }, status, expires: a.expires.toISOString(), challenges: [challengeObject(a)] };
}

export async function ownedAuthz(req: VerifiedJws, id: string): Promise<AcmeAuthorization> {
  const a = await db().acmeAuthorization.findUnique({ where: { id } });
  if (!a || a.accountId !== req.account!.id) throw problem("malformed", "no such authorization for this account", null, { status: 404 });
  return a;
}

/** POST-as-GET, or {"status":"deactivated"} (§7.5.2). */
export async function authzRequest(req: VerifiedJws, id: string): Promise<AcmeResult> {
  let a = await ownedAuthz(req, id);
  if (req.payload !== null) {
    const p = req.payload as Record<string, unknown>;
    if (!p || typeof p !== "object" || p.status !== "deactivated") throw problem("malformed", "an authorization can only be deactivated");
    if (a.status !== "pending" && a.status !== "valid") throw problem("malformed", `the authorization is ${a.status}`);
    a = await db().acmeAuthorization.update({ where: { id }, data: { status: "deactivated" } });
    await db().acmeOrder.updateMany({ where: { id: a.orderId, status: { in: ["pending", "ready"] } }, data: { status: "invalid" } });
  }
  return { status: 200, body: authzObject(a), headers: a.status === "pending" ? { "retry-after": RETRY_AFTER } : {} };
}

/** After a challenge settles: the order becomes ready when every authorization is valid, invalid when one failed. */
export async function settleOrder(orderId: string): Promise<void> {
  const all = await db().acmeAuthorization.findMany({ where: { orderId }, select: { status: true } });
  if (all.some((a) => a.status === "invalid" || a.status === "deactivated")) {
    await db().acmeOrder.updateMany({ where: { id: orderId, status: "pending" }, data: { status: "invalid" } });
  } else if (all.every((a) => a.status === "valid")) {
    await db().acmeOrder.updateMany({ where: { id: orderId, status: "pending" }, data: { status: "ready" } });
  }
}
