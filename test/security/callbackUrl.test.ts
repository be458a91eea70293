import { describe, expect, it } from "vitest";
import { checkCallbackUrl } from "@/app/_lib/callbackUrl";
import { callbackUrlsOf, isCallbackUrl, safeCallbackPath, sameOriginRedirect } from "@/lib/auth/callbackUrl";
import { AppError } from "@/lib/errors";

describe("safeCallbackPath (/signin callbackUrl)", () => {
  it("keeps same-origin paths", () => {
    expect(safeCallbackPath("/admin/devices?x=1")).toBe("/admin/devices?x=1");
    expect(safeCallbackPath("/admin")).toBe("/admin");
  });
  it("refuses protocol-relative and absolute URLs (open redirect)", () => {
    for (const bad of ["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example/", "javascript:alert(1)", "", "admin"]) {
      expect(safeCallbackPath(bad)).toBe("/admin");
    }
    expect(safeCallbackPath(undefined)).toBe("/admin");
    expect(safeCallbackPath(["/a", "/b"])).toBe("/admin");
  });
});

// next-auth answers a callbackUrl that is not a path or http(s) URL (parameter or cookie) with a
// 500 from its configuration check; /api/auth/* refuses it first with a 400 (issue 18).
describe("next-auth callbackUrl", () => {
  it("accepts paths and http(s) URLs, nothing else", () => {
    for (const ok of ["/admin", "/admin?x=1", "https://mdm.example.test/admin", "http://localhost:3000/"]) expect(isCallbackUrl(ok), ok).toBe(true);
    for (const bad of ["foo", "%zz", "javascript:alert(1)", "mailto:a@b.c", "http://[::1", "admin", `/${"a".repeat(3000)}`]) expect(isCallbackUrl(bad), bad).toBe(false);
  });

  it("reads the parameter, the callback-url cookie and the form body", () => {
    const url = new URL("https://mdm.example.test/api/auth/providers?callbackUrl=a&callbackUrl=");
    expect(callbackUrlsOf(url, "x=1; next-auth.callback-url=%2Fadmin; __Secure-next-auth.callback-url=%zz", "csrfToken=t&callbackUrl=c")).toEqual(["a", "/admin", "%zz", "c"]);
  });

  it("answers 400 for a bad parameter, cookie or form field, and lets good ones through", async () => {
    const refused = async (req: Request) => {
      const err = await checkCallbackUrl(req).then(
        () => null,
        (e: unknown) => e,
      );
      return err instanceof AppError ? err.status : null;
    };
    const base = "https://mdm.example.test/api/auth";
    expect(await refused(new Request(`${base}/providers?callbackUrl=foo`))).toBe(400);
    expect(await refused(new Request(`${base}/providers`, { headers: { cookie: "next-auth.callback-url=foo" } }))).toBe(400);
    const form = (body: string) => new Request(`${base}/signin/credentials`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(await refused(form("csrfToken=x&callbackUrl=javascript%3Aalert(1)"))).toBe(400);
    expect(await refused(form("csrfToken=x&callbackUrl=%2Fadmin"))).toBe(null);
    expect(await refused(new Request(`${base}/providers?callbackUrl=%2Fadmin`, { headers: { cookie: "next-auth.callback-url=https%3A%2F%2Fmdm.example.test%2Fadmin" } }))).toBe(null);
  });

  it("redirects only within the origin and never throws", () => {
    const baseUrl = "https://mdm.example.test";
    expect(sameOriginRedirect({ url: "/admin/devices", baseUrl })).toBe("https://mdm.example.test/admin/devices");
    expect(sameOriginRedirect({ url: "https://mdm.example.test/admin", baseUrl })).toBe("https://mdm.example.test/admin");
    for (const other of ["https://evil.example/", "//evil.example", "foo", "%zz", "javascript:alert(1)"]) expect(sameOriginRedirect({ url: other, baseUrl })).toBe(baseUrl);
  });
});
