// End-user languages and device detection: Accept-Language negotiation (RFC 9110 q-values,
// primary-tag fallback), catalogues that all carry every English key, and which advice a
// user agent gets (real UA strings of Safari, Chrome on iOS, in-app views, Android, Windows).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { availableLocales, catalogDir, catalogs, negotiateLocale, translator } from "@/lib/i18n";
import { negotiateEncoding } from "@/lib/http/compress";
import { detectClient } from "@/lib/enrollment/platform";

describe("languages", () => {
  it("ships en, de, fr, es and ja, each with every English key and the same placeholders", () => {
    expect(availableLocales()).toEqual(expect.arrayContaining(["de", "en", "es", "fr", "ja"]));
    const en = catalogs().get("en")!;
    for (const [lang, cat] of catalogs()) {
      expect(Object.keys(cat).sort(), lang).toEqual(Object.keys(en).sort());
      for (const key of Object.keys(en)) {
        const vars = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
        expect(vars(cat[key]), `${lang} ${key}`).toEqual(vars(en[key]));
      }
    }
    // One file per language: the directory is the list.
    expect(
      fs
        .readdirSync(catalogDir())
        .filter((f) => f.endsWith(".json"))
        .map((f) => path.basename(f, ".json"))
        .sort(),
    ).toEqual(availableLocales());
  });

  it("negotiates Accept-Language by q-value, falls back to the primary tag, then to English", () => {
    expect(negotiateLocale("de-DE,de;q=0.9,en;q=0.8")).toBe("de");
    expect(negotiateLocale("en;q=0.5, ja;q=0.9")).toBe("ja");
    expect(negotiateLocale("fr-CH")).toBe("fr");
    expect(negotiateLocale("pt-BR, es;q=0.3")).toBe("es");
    expect(negotiateLocale("de;q=0, fr")).toBe("fr");
    expect(negotiateLocale("*")).toBe("en");
    expect(negotiateLocale(null)).toBe("en");
    expect(negotiateLocale(`${"x".repeat(10_000)},de`)).toBe("en");
    expect(translator("de")("enroll.heading")).toBe("Gerät registrieren");
    expect(translator("de")("support.with", { contact: "it@example.com" })).toContain("it@example.com");
  });
});

describe("devices", () => {
  const ua = {
    iphoneSafari: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
    ipadSafari: "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    iphoneChrome: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/137.0.7151.79 Mobile/15E148 Safari/604.1",
    iphoneFirefox: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/139.0 Mobile/15E148 Safari/605.1.15",
    iphoneInstagram: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 380.0.0.0.0",
    iphoneWebView: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    mac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15",
    android: "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36",
    windows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.0.0",
  };
  it("tells Safari from other iOS browsers and in-app views, and Apple from other devices", () => {
    expect(detectClient(ua.iphoneSafari)).toEqual({ kind: "apple", platform: "ios" });
    expect(detectClient(ua.ipadSafari)).toEqual({ kind: "apple", platform: "ios" });
    expect(detectClient(ua.mac)).toEqual({ kind: "apple", platform: "macos" });
    for (const u of [ua.iphoneChrome, ua.iphoneFirefox, ua.iphoneInstagram, ua.iphoneWebView]) expect(detectClient(u)).toEqual({ kind: "ios-not-safari" });
    expect(detectClient(ua.android)).toEqual({ kind: "not-apple", os: "android" });
    expect(detectClient(ua.windows)).toEqual({ kind: "not-apple", os: "windows" });
    expect(detectClient(null)).toEqual({ kind: "apple", platform: "ios" });
  });

  it("picks Brotli, then gzip, honouring q=0", () => {
    expect(negotiateEncoding("gzip, deflate, br, zstd")).toBe("br");
    expect(negotiateEncoding("gzip, br;q=0")).toBe("gzip");
    expect(negotiateEncoding("identity")).toBe("identity");
    expect(negotiateEncoding("*")).toBe("br");
    expect(negotiateEncoding(null)).toBe("identity");
  });
});
