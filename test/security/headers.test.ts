// next.config.js security headers, read from the real config in a separate node process
// (the config is plain JS and reads PUBLIC_URL when Next builds).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

function headersFor(publicUrl: string): Record<string, string> {
  const root = path.resolve(import.meta.dirname, "../..");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", "const m = await import('./next.config.js'); process.stdout.write(JSON.stringify(await m.default.headers()))"], {
    cwd: root,
    env: { ...process.env, PUBLIC_URL: publicUrl },
    encoding: "utf8",
  });
  const rules = JSON.parse(out) as { source: string; headers: { key: string; value: string }[] }[];
  const all = rules.find((r) => r.source === "/:path*");
  return Object.fromEntries((all?.headers ?? []).map((h) => [h.key.toLowerCase(), h.value]));
}

describe("security headers", () => {
  it("forbid framing and <base>/plugin injection on every path", () => {
    const h = headersFor("http://localhost:3000");
    expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"]).toContain("base-uri 'self'");
    expect(h["content-security-policy"]).toContain("object-src 'none'");
    expect(h["x-frame-options"]).toBe("DENY");
    expect(h["x-content-type-options"]).toBe("nosniff");
  });

  it("send HSTS only when the public URL is https", () => {
    expect(headersFor("https://mdm.example.test")["strict-transport-security"]).toMatch(/^max-age=\d{7,}/);
    expect(headersFor("http://localhost:3000")["strict-transport-security"]).toBeUndefined();
  });
});
