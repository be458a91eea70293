// Secrets inside log text (not just in fields named like secrets) never reach stdout/stderr
// or the stored enrollment log.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { log } from "@/lib/log/logger";
import { writeEnrollmentLog } from "@/lib/log/enrollmentLog";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

const JWT = "eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJhYmMxMjMiLCJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
const API_KEY = "oek_0123456789ab_S3cr3t_part_of_the_key_xyz";

function captured(fn: () => void): string {
  const level = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = "debug";
  const out: string[] = [];
  const a = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => out.push(String(c)) > 0);
  const b = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => out.push(String(c)) > 0);
  try {
    fn();
  } finally {
    a.mockRestore();
    b.mockRestore();
    if (level === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = level;
  }
  return out.join("");
}

describe("log redaction of secrets inside text", () => {
  it("masks tokens in URLs, Authorization credentials, JWTs and API keys in the message, string fields and errors", () => {
    const line = captured(() =>
      log.warn(`request to https://mdm.example.test/enroll?token=${JWT} failed with Authorization: Bearer ${API_KEY}`, {
        url: "https://mdm.example.test/oauth2/token?grant_type=authorization_code&code=abcdef123456&code_verifier=verifier-value-1",
        header: "Basic amFtZjpodW50ZXIy",
        note: `someone pasted ${API_KEY} into a form`,
        link: "shared https://mdm.example.test/e/7k2m9q4x8r1c5v on a poster",
        err: new Error(`bad token ${JWT}`),
        reason: "access_token_invalid",
        tokenId: "cmtoken0000id",
        password: "hunter2-never-printed",
      }),
    );
    // Ids named after a secret stay readable; secret-named fields do not.
    expect(line).toContain('"tokenId":"cmtoken0000id"');
    expect(line).not.toContain("hunter2-never-printed");
    expect(line).toContain("failed with Authorization: Bearer [redacted]");
    for (const secret of [JWT, API_KEY, "S3cr3t_part", "abcdef123456", "verifier-value-1", "amFtZjpodW50ZXIy", "7k2m9q4x8r1c5v"]) expect(line).not.toContain(secret);
    expect(line).toContain("/e/[redacted] on a poster");
    // What is left still says what happened.
    expect(line).toContain("/enroll?token=[redacted");
    expect(line).toContain("grant_type=authorization_code");
    expect(line).toContain("oek_0123456789ab_[redacted]");
    expect(line).toContain('"reason":"access_token_invalid"');
  });

  it("stores enrollment-log messages without the secret", async () => {
    captured(() => void writeEnrollmentLog({ step: "ota.verify", outcome: "ERROR", message: `link https://h/enroll?token=${JWT} refused` }));
    await vi.waitFor(async () => expect(await t.client.enrollmentLog.count({ where: { step: "ota.verify" } })).toBe(1), { timeout: 15_000 });
    const row = await t.client.enrollmentLog.findFirstOrThrow({ where: { step: "ota.verify" } });
    expect(row.message).not.toContain(JWT);
    expect(row.message).toContain("enroll?token=[redacted");
  });
});
