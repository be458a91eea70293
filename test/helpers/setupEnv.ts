// Every test process gets its own data directory and a fixed master secret, so tests
// never touch ./data and never generate secrets on disk by accident.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

if (!process.env.ENROLL_TEST_DATA_DIR) {
  process.env.ENROLL_TEST_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "enroll-unit-"));
}
process.env.DATA_DIR = process.env.ENROLL_TEST_DATA_DIR;
process.env.MDM_SECRET ??= "unit-test-master-secret-0123456789abcdef";
process.env.PUBLIC_URL ??= "https://mdm.example.test";
process.env.LOG_LEVEL ??= "error";
// Most tests enroll devices without an APNs certificate: the documented lab setting, explicitly.
process.env.ALLOW_ENROLL_WITHOUT_PUSH ??= "true";
// Every test request comes from one address (loopback): more distinct failures per log window than
// a real address has, so the per-address cap would fold them (test/security/logFlood.test.ts sets it).
process.env.LOG_MAX_KEYS_PER_ADDRESS ??= "100000";
delete process.env.DATABASE_URL;
