// Pure rules: identifier parsing (seed 003 step 1: split at the last "@", domain an FQDN),
// routing-rule matching and precedence, PRODUCT → model family, the WWW-Authenticate values.
import { describe, expect, it } from "vitest";
import { challengeHeader } from "@/lib/enrollment/addeService";
import { matchRoute, modelFamilyOfProduct, type AddeRouteRow } from "@/lib/enrollment/routes";
import { parseIdentifier } from "@/lib/enrollment/users";
import { parseBearerChallenge } from "./deviceClient";

describe("parseIdentifier", () => {
  it("splits at the last @ and lower-cases", () => {
    expect(parseIdentifier("Ann.Lee@Company.COM")).toEqual({ identifier: "ann.lee@company.com", user: "ann.lee", domain: "company.com" });
    expect(parseIdentifier('"odd@name"@example.com')).toMatchObject({ user: '"odd@name"', domain: "example.com" });
    expect(parseIdentifier("ann@company.com.")).toMatchObject({ domain: "company.com" });
  });

  it("refuses identifiers without a usable domain", () => {
    for (const bad of [
      "",
      "ann",
      "ann@",
      "@company.com",
      "ann@localhost",
      "ann@-bad.com",
      "ann@bad-.com",
      "ann@exa mple.com",
      "ann@company..com",
      "ann@comp\tany.com",
      "a\u0000b@company.com",
      null,
      undefined,
    ]) {
      expect(parseIdentifier(bad as string), String(bad)).toBeNull();
    }
  });
});

function rule(over: Partial<AddeRouteRow>): AddeRouteRow {
  return { id: Math.random().toString(36), position: 10, domain: "*", userMatch: null, modelFamily: null, version: "mdm-byod", baseUrl: null, groupId: null, enabled: true, ...over };
}

describe("matchRoute", () => {
  const who = parseIdentifier("dev.sam@corp.example.com")!;

  it("takes the first enabled match by position", () => {
    const rules = [
      rule({ id: "wild", position: 30, domain: "*" }),
      rule({ id: "mac", position: 10, domain: "corp.example.com", modelFamily: "Mac", version: "mdm-adde" }),
      rule({ id: "off", position: 5, domain: "corp.example.com", enabled: false }),
      rule({ id: "dev", position: 20, domain: "*.example.com", userMatch: "dev.*@corp.example.com, ops@corp.example.com", version: "mdm-adde" }),
    ];
    expect(matchRoute(rules, who, "Mac")?.id).toBe("mac");
    expect(matchRoute(rules, who, "iPhone")?.id).toBe("dev");
    expect(matchRoute(rules, parseIdentifier("kim@corp.example.com")!, "iPhone")?.id).toBe("wild");
    expect(matchRoute(rules, who, null)?.id).toBe("dev");
  });

  it("matches domains exactly or by subdomain wildcard, never by suffix", () => {
    const rules = [rule({ id: "sub", domain: "*.example.com" }), rule({ id: "exact", domain: "example.com", position: 20 })];
    expect(matchRoute(rules, parseIdentifier("a@example.com")!, null)?.id).toBe("exact");
    expect(matchRoute(rules, parseIdentifier("a@eu.example.com")!, null)?.id).toBe("sub");
    expect(matchRoute(rules, parseIdentifier("a@badexample.com")!, null)).toBeNull();
    expect(matchRoute(rules, parseIdentifier("a@example.com.evil.org")!, null)).toBeNull();
  });

  it("ignores rules with an unknown version", () => {
    expect(matchRoute([rule({ version: "mdm-future" })], who, null)).toBeNull();
  });
});

describe("modelFamilyOfProduct", () => {
  it("maps PRODUCT strings to Apple's model families", () => {
    expect(modelFamilyOfProduct("iPhone17,2")).toBe("iPhone");
    expect(modelFamilyOfProduct("iPad16,3")).toBe("iPad");
    expect(modelFamilyOfProduct("Mac16,1")).toBe("Mac");
    expect(modelFamilyOfProduct("RealityDevice14,1")).toBe("RealityDevice");
    expect(modelFamilyOfProduct("Toaster1,1")).toBeNull();
  });
});

describe("challengeHeader", () => {
  it("is the seed's apple-as-web header for the simple method", () => {
    expect(challengeHeader("mdm-byod", { authMethod: "simple", oauthClientId: "x" })).toBe('Bearer method="apple-as-web", url="https://mdm.example.test/authenticate/byod"');
  });

  it("carries every apple-oauth2 parameter, parseable as RFC 7235 auth-params", () => {
    const h = challengeHeader("mdm-adde", { authMethod: "oauth2", oauthClientId: "client-1" });
    expect(parseBearerChallenge(h)).toEqual({
      method: "apple-oauth2",
      "authorization-url": "https://mdm.example.test/oauth2/authorize",
      "token-url": "https://mdm.example.test/oauth2/token",
      "redirect-url": "apple-remotemanagement-user-login:/oauth2/redirection",
      "client-id": "client-1",
      scope: "mdm-adde",
    });
  });
});
