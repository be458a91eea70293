// The enrollment reference in the MDM URLs: round trip, and every alteration refused.
import { describe, expect, it } from "vitest";
import { enrollmentRefOf, mdmUrlsFor, signEnrollmentRef, verifyEnrollmentRef } from "@/lib/enrollment/enrollmentRef";
import { validatePayload } from "@/lib/profiles/appleSchema";

describe("enrollment reference", () => {
  it("round-trips token and account references through the MDM URLs", () => {
    const urls = mdmUrlsFor({ kind: "token", tokenId: "cmabc123" });
    expect(urls.checkInUrl).toMatch(/^https:\/\/mdm\.example\.test\/mdm\/checkin\?e=t\.cmabc123\.[A-Za-z0-9_-]{22}$/);
    expect(verifyEnrollmentRef(enrollmentRefOf(urls.serverUrl)!)).toEqual({ ok: true, ref: { kind: "token", tokenId: "cmabc123" } });
    const a = signEnrollmentRef({ kind: "account", enrollmentId: "Xy_-09" });
    expect(verifyEnrollmentRef(a)).toEqual({ ok: true, ref: { kind: "account", enrollmentId: "Xy_-09" } });
    // Apple's schema accepts the URLs with their query.
    const errors = validatePayload("com.apple.mdm", {
      PayloadType: "com.apple.mdm",
      PayloadVersion: 1,
      PayloadIdentifier: "x.mdm",
      PayloadUUID: "5A2B0C4E-2D4B-4C39-9F4F-0D4E8E5F1A11",
      Topic: "com.apple.mgmt.External.x",
      IdentityCertificateUUID: "5A2B0C4E-2D4B-4C39-9F4F-0D4E8E5F1A12",
      ServerURL: urls.serverUrl,
      CheckInURL: urls.checkInUrl,
    });
    expect(errors).toEqual([]);
  });

  it("refuses altered kinds, ids and MACs, and anything not in the format", () => {
    const good = signEnrollmentRef({ kind: "token", tokenId: "tok1" });
    const [kind, id, mac] = good.split(".");
    // Every other character at every position, including non-canonical encodings of the same bytes.
    const flip = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let i = 0; i < mac.length; i++) for (const c of alphabet) if (c !== mac[i]) expect(verifyEnrollmentRef(`${kind}.${id}.${flip(mac, i, c)}`).ok).toBe(false);
    expect(verifyEnrollmentRef(`a.${id}.${mac}`).ok).toBe(false);
    expect(verifyEnrollmentRef(`t.tok2.${mac}`).ok).toBe(false);
    expect(verifyEnrollmentRef(`${kind}.${id}.${mac.slice(0, 10)}`).ok).toBe(false);
    for (const bad of ["", "t..x", "x.tok1.abc", `${good}.extra`, "t.tok/1.abc", `t.${"a".repeat(300)}.abc`]) expect(verifyEnrollmentRef(bad)).toMatchObject({ ok: false });
  });
});
