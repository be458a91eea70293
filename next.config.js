// NEXT_DIST_DIR lets tests and parallel developers build into separate folders.

// Headers for every response. A CSP without script-src: Next's inline bootstrap scripts would
// need per-request nonces; these directives still stop framing (clickjacking of the portal and
// the consent/sign-in forms), <base> hijacking and plugins. HSTS only when the public URL is
// https (read at build time; scripts/start.ts builds with the configured PUBLIC_URL).
export function securityHeaders(publicUrl = process.env.PUBLIC_URL ?? "") {
  const headers = [
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "same-origin" },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Content-Security-Policy", value: "frame-ancestors 'none'; base-uri 'self'; object-src 'none'" },
  ];
  if (publicUrl.startsWith("https://")) headers.push({ key: "Strict-Transport-Security", value: "max-age=31536000" });
  return headers;
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  distDir: process.env.NEXT_DIST_DIR || ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: ["better-sqlite3", "pg", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "oidc-provider"],
  // Type errors are caught by `npm run typecheck` (part of `npm test`), not by every build.
  typescript: { ignoreBuildErrors: true },
  // Portal uploads (.mobileconfig up to LIMITS.profileUpload = 2 MB, CA and APNs files) go
  // through server actions, whose default body limit is 1 MB.
  experimental: { serverActions: { bodySizeLimit: "3mb" } },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: securityHeaders(),
      },
    ];
  },
};

export default nextConfig;
