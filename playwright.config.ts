// e2e tests in Debian's Chromium against the real server (`npm start` on a fresh data
// directory) and a real OIDC provider (e2e/oidc/server.mjs). E2E_PORT moves both, so
// several runs can share a machine; the build goes to its own folder per port.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
const oidcPort = port + 1;
const appUrl = `http://localhost:${port}`;
process.env.E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "enroll-e2e-"));
const dataDir = process.env.E2E_DATA_DIR;
process.env.E2E_APP_URL = appUrl;
process.env.E2E_OIDC_URL = `http://localhost:${oidcPort}`;

/** The build folder of the server under test; other servers started by tests reuse it. */
export const E2E_DIST_DIR = port === 3100 ? ".next" : `.next-e2e-${port}`;

export const E2E_ADMIN = { email: "owner@example.com", password: "e2e-owner-password" };

/** Where the server under test keeps its data; the admin CLI run by e2e tests needs the same. */
export function e2eDataEnv() {
  return {
    DATA_DIR: dataDir,
    // E2E_DATABASE_URL runs the same suite on PostgreSQL (.ci/run does).
    ...(process.env.E2E_DATABASE_URL ? { DATABASE_URL: process.env.E2E_DATABASE_URL, MDM_SECRET: "e2e-postgres-master-secret-0123456789" } : {}),
  };
}

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: appUrl,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    },
  },
  webServer: [
    {
      command: "node e2e/oidc/server.mjs",
      url: `http://localhost:${oidcPort}/.well-known/openid-configuration`,
      env: { OIDC_PORT: String(oidcPort), APP_URL: appUrl },
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: "node --import tsx scripts/start.ts",
      url: `${appUrl}/api/health`,
      timeout: 15 * 60_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        PORT: String(port),
        PUBLIC_URL: appUrl,
        ...e2eDataEnv(),
        NEXT_DIST_DIR: E2E_DIST_DIR,
        ADMIN_EMAIL: E2E_ADMIN.email,
        ADMIN_PASSWORD: E2E_ADMIN.password,
        OIDC_ISSUER: `http://localhost:${oidcPort}`,
        OIDC_CLIENT_ID: "portal",
        OIDC_CLIENT_SECRET: "portal-secret",
        OIDC_NAME: "Example IdP",
        OIDC_SCOPE: "openid email profile groups",
        OIDC_ALLOWED_DOMAINS: "example.com",
        OIDC_ADMIN_GROUPS: "enroll-admins",
        OIDC_OWNER_GROUPS: "enroll-owners",
        OIDC_DEFAULT_ROLE: "READ_ONLY",
        USER_OIDC_ISSUER: `http://localhost:${oidcPort}`,
        USER_OIDC_CLIENT_ID: "enroll",
        USER_OIDC_CLIENT_SECRET: "enroll-secret",
        LOG_LEVEL: "warn",
        // Every spec talks from loopback: more distinct log failures per window than one real address (e2e/hostile.spec.ts floods with one).
        LOG_MAX_KEYS_PER_ADDRESS: "100000",
        // Specs enroll devices without an APNs certificate: the documented lab setting.
        ALLOW_ENROLL_WITHOUT_PUSH: "true",
      },
    },
  ],
});
