// TRUST_PROXY: behind proxies the client address is the right-most X-Forwarded-For hop the
// trusted proxies did not add, never the left-most value the client wrote. Rotating that
// left-most value must not escape the per-address limits (NDES basic auth, admin sign-in).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { ConfigError, loadConfig, type TrustProxy } from "@/lib/config";
import { clientAddress } from "@/lib/http/remote";

const h = (peer: string | null, xff?: string, realIp?: string) => {
  const headers = new Headers();
  if (peer) headers.set("x-enroll-peer", peer);
  if (xff !== undefined) headers.set("x-forwarded-for", xff);
  if (realIp) headers.set("x-real-ip", realIp);
  return headers;
};

describe("TRUST_PROXY parsing", () => {
  const parse = (v: string | undefined) => loadConfig({ ...process.env, TRUST_PROXY: v }).trustProxy;
  it("reads false, true, a number of proxies and lists of addresses and ranges", () => {
    expect(parse(undefined)).toEqual({ kind: "none" });
    expect(parse("false")).toEqual({ kind: "none" });
    expect(parse("true")).toEqual({ kind: "hops", hops: 1 });
    expect(parse("2")).toEqual({ kind: "hops", hops: 2 });
    expect(parse("10.0.0.0/8, 192.168.1.10,fd00::/8")).toEqual({ kind: "addresses", ranges: ["10.0.0.0/8", "192.168.1.10", "fd00::/8"] });
  });
  it("refuses anything else with one sentence naming the variable", () => {
    for (const bad of ["yes", "10.0.0.0/33", "10.0.0.0/8/1", "proxy.example.com", "99"]) {
      expect(() => parse(bad)).toThrow(ConfigError);
      expect(() => parse(bad)).toThrow(/TRUST_PROXY/);
    }
  });
});

describe("client address behind proxies", () => {
  const one: TrustProxy = { kind: "hops", hops: 1 };
  const two: TrustProxy = { kind: "hops", hops: 2 };
  const ranges: TrustProxy = { kind: "addresses", ranges: ["10.0.0.0/8", "::1"] };

  it("ignores forwarded headers unless told to trust a proxy", () => {
    expect(clientAddress(h("::ffff:198.51.100.4", "203.0.113.9"), { kind: "none" })).toBe("198.51.100.4");
  });

  it("takes the right-most hop with one proxy, whatever the client prepended", () => {
    // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    expect(clientAddress(h("10.0.0.2", "1.2.3.4, 203.0.113.9"), one)).toBe("203.0.113.9");
    expect(clientAddress(h("10.0.0.2", "203.0.113.9"), one)).toBe("203.0.113.9");
    // Two X-Forwarded-For header lines are one list.
    const split = h("10.0.0.2", "1.2.3.4");
    split.append("x-forwarded-for", "203.0.113.9");
    expect(clientAddress(split, one)).toBe("203.0.113.9");
  });

  it("skips the hops the inner proxies added when there are several", () => {
    expect(clientAddress(h("10.0.0.3", "1.2.3.4, 203.0.113.9, 10.0.0.2"), two)).toBe("203.0.113.9");
  });

  it("with proxy addresses: the right-most hop that is not a trusted proxy, and only from a trusted peer", () => {
    expect(clientAddress(h("10.0.0.3", "1.2.3.4, 203.0.113.9, 10.1.2.3"), ranges)).toBe("203.0.113.9");
    expect(clientAddress(h("::1", "[2001:db8::5]:443"), ranges)).toBe("2001:db8::5");
    // A client that reaches the server directly cannot claim another address.
    expect(clientAddress(h("198.51.100.4", "203.0.113.9"), ranges)).toBe("198.51.100.4");
    // Nothing but proxies: the left-most.
    expect(clientAddress(h("10.0.0.3", "10.0.0.9, 10.0.0.2"), ranges)).toBe("10.0.0.9");
  });

  it("falls back to X-Real-IP without X-Forwarded-For, and to the peer without either", () => {
    expect(clientAddress(h("10.0.0.2", undefined, "203.0.113.7"), one)).toBe("203.0.113.7");
    expect(clientAddress(h("10.0.0.2"), one)).toBe("10.0.0.2");
  });
});

describe("rotating the left-most X-Forwarded-For does not bypass per-address limits", () => {
  let t: TestDb;
  beforeAll(async () => {
    // Read by config() on first use, which nothing in this file made before.
    process.env.TRUST_PROXY = "true";
    t = await createTestDb();
  });
  afterAll(async () => t?.close());

  it("NDES basic auth: the guesser is refused after the limit however it rotates the header", async () => {
    const { NDES_MAX_FAILURES } = await import("@/lib/scep/ndes");
    const { GET } = await import("@/app/ndes/[id]/route");
    const statuses: number[] = [];
    for (let i = 0; i < NDES_MAX_FAILURES + 5; i++) {
      const request = new Request("https://mdm.example.test/ndes/some-profile", {
        headers: {
          authorization: `Basic ${Buffer.from(`user:guess-${i}`).toString("base64")}`,
          "x-enroll-peer": "10.0.0.2",
          "x-forwarded-for": `198.18.${i >> 8}.${i & 255}, 203.0.113.66`,
        },
      });
      statuses.push((await GET(request, { params: Promise.resolve({ id: "some-profile" }) })).status);
    }
    expect(statuses.slice(0, NDES_MAX_FAILURES).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(NDES_MAX_FAILURES).every((s) => s === 429)).toBe(true);
  });

  it("admin sign-in: spraying with a rotated left-most hop is stopped per address", async () => {
    const { ADMIN_SIGNIN_MAX_FAILURES_PER_ADDRESS, TOO_MANY_ATTEMPTS, authOptions } = await import("@/lib/auth/options");
    const provider = authOptions().providers.find((p) => p.id === "credentials") as unknown as {
      options: { authorize: (c: Record<string, string>, req: unknown) => Promise<unknown> };
    };
    const from = (i: number) => ({ headers: { "x-enroll-peer": "10.0.0.2", "x-forwarded-for": `198.18.0.${i}, 203.0.113.77` } });
    for (let i = 0; i < ADMIN_SIGNIN_MAX_FAILURES_PER_ADDRESS; i++) {
      expect(await provider.options.authorize({ email: `sprayed${i}@example.com`, password: "Autumn2026!!" }, from(i))).toBeNull();
    }
    await expect(provider.options.authorize({ email: "another@example.com", password: "Autumn2026!!" }, from(250))).rejects.toThrow(TOO_MANY_ATTEMPTS);
  });
});
