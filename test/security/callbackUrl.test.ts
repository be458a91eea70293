import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "@/lib/auth/callbackUrl";

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
