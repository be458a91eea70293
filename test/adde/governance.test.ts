// Enrollment governance on the account-driven flow: the routing rule's terms are shown on
// the sign-in page and must be accepted (the current version) to sign in; the acceptance is
// recorded on the user and then on the device at Authenticate. The rule's device limit
// refuses the user's next enrollment at Authenticate (401, log line with the fix).
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoute } from "@/lib/enrollment/routes";
import { signInPage } from "@/lib/enrollment/userSignIn";
import { putUser } from "@/lib/enrollment/users";
import { getDeviceDetail } from "@/lib/inventory/deviceDetail";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { serveRouteImports, type RouteServer } from "@/test/helpers/routeServer";
import { issueIdentity, simDevice } from "@/test/mdm/helpers";
import { addeRoutes, form, tokenFromResultLocation } from "./deviceClient";

let t: TestDb;
let server: RouteServer;

const TERMS = "## Bring your own device\n\nWe manage only work data on this device.";
const version = crypto.createHash("sha256").update(TERMS).digest("hex");

beforeAll(async () => {
  t = await createTestDb();
  server = await serveRouteImports({ ...addeRoutes(), "/mdm/checkin": import("@/app/mdm/checkin/route"), "/mdm/connect": import("@/app/mdm/connect/route") });
  await createRoute({ domain: "governed.example", version: "mdm-byod", deviceLimit: 2, terms: TERMS });
  await putUser("ann@governed.example", { password: "ann-password-1" });
});
afterAll(async () => {
  await server.close();
  await t.close();
});

describe("account-driven governance", () => {
  it("terms accepted at sign-in are recorded on the device; a limit of 2 refuses the user's third enrollment", async () => {
    const page = await signInPage({ identifier: "ann@governed.example", mode: "byod" });
    expect(page.ok && page.terms?.version).toBe(version);
    expect(page.ok && page.terms?.blocks[0]).toEqual({ kind: "heading", level: 2, inlines: [{ text: "Bring your own device" }] });

    // Not ticked: refused with a page and a log line; no token.
    const refused = await fetch(`${server.url}/authenticate/local`, form({ identifier: "ann@governed.example", mode: "byod", password: "ann-password-1" }));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("Accept the terms first");
    // The refusal follows the device's language, as the sign-in page does.
    const german = form({ identifier: "ann@governed.example", mode: "byod", password: "ann-password-1" });
    const refusedDe = await fetch(`${server.url}/authenticate/local`, { ...german, headers: { "content-type": "application/x-www-form-urlencoded", "accept-language": "de-DE,de;q=0.9" } });
    expect(refusedDe.status).toBe(403);
    const htmlDe = await refusedDe.text();
    expect(htmlDe).toContain("Akzeptiere zuerst die Bedingungen");
    expect(htmlDe).not.toContain("Accept the terms first");
    expect(await t.client.enrollmentLog.findFirst({ where: { userIdentifier: "ann@governed.example", reason: "terms_not_accepted" } })).toMatchObject({ step: "adde.signin", outcome: "ERROR" });

    const before = Date.now();
    const signIn = await fetch(`${server.url}/authenticate/local`, form({ identifier: "ann@governed.example", mode: "byod", password: "ann-password-1", acceptTerms: version }));
    expect(signIn.status).toBe(308);
    const bearer = tokenFromResultLocation(signIn.headers.get("location"));
    const user = await t.client.user.findUniqueOrThrow({ where: { identifier: "ann@governed.example" } });
    expect(user.termsHash).toBe(version);
    expect(user.termsAcceptedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);

    const topic = await currentMdmTopic();
    const devices = [];
    for (let i = 0; i < 3; i++) devices.push(await simDevice(server, topic, await issueIdentity(`CN=ann-${i}`, { userId: user.id }), { mode: "user-enrollment", bearer }));
    expect((await devices[0].authenticate()).status).toBe(200);
    expect((await devices[1].authenticate()).status).toBe(200);
    const third = await devices[2].authenticate();
    expect(third.status).toBe(401);
    expect(await t.client.device.count({ where: { userId: user.id } })).toBe(2);
    const line = await t.client.enrollmentLog.findFirstOrThrow({ where: { reason: "device_limit_reached", step: "checkin" } });
    expect(line.message).toMatch(/ann@governed\.example already has 2 active enrollment\(s\), the limit \(the routing rule\) is 2.*Fix:/);

    const first = await getDeviceDetail(devices[0].enrollmentId!);
    expect(first.personEmail).toBe("ann@governed.example");
    expect(first.terms).toEqual({ version, acceptedAt: user.termsAcceptedAt, acceptedBy: "ann@governed.example" });
  });
});
