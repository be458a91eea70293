// A path whose percent-encoding does not decode never reaches Next.js (which answers such a
// dynamic route parameter with a 500): scripts/serve.mjs answers 400 first (issue 18). The
// real server's answer is checked in test/fuzz/crashSafety.test.ts.
import { describe, expect, it } from "vitest";
import { MALFORMED_PATH_BODY, pathDecodes } from "@/scripts/edge.mjs";

describe("pathDecodes (scripts/edge.mjs)", () => {
  it("refuses broken escapes and broken UTF-8 in any path segment", () => {
    for (const bad of ["/e/%E0%A4%A", "/api/v1/devices/%zz", "/scep/%", "/ndes/%FF", "/ocsp/a/%C0%AF", "/adde/%E0/x", "/x%2", "/ndes/a%00b", "/e/%00"]) expect(pathDecodes(bad), bad).toBe(false);
  });
  it("lets well-formed paths through, whatever the query holds", () => {
    for (const ok of ["/", "/e/AbC_12", "/e/%E0%A4%A0", "/api/v1/users/a%40b.c", "/scep/x?operation=GetCACaps&message=%zz", "/enroll?token=%FF"]) expect(pathDecodes(ok), ok).toBe(true);
  });
  it("explains the refusal", () => {
    expect(JSON.parse(MALFORMED_PATH_BODY)).toMatchObject({
      error: "malformed_path",
    });
  });
});
