// NEXT_DIST_DIR lets tests and parallel developers build into separate folders.
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
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};

export default nextConfig;
