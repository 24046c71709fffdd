import type { NextConfig } from "next";

// The upload route accepts files up to DPSYNTH_UPLOAD_LIMIT_MB; the proxy (middleware) buffers request bodies
// and would silently truncate anything above its 10 MB default, so it gets the same limit plus room for the form.
const uploadLimitMb = Number(process.env.DPSYNTH_UPLOAD_LIMIT_MB ?? 50);

/**
 * On every answer, pages and API alike: no framing by other sites (clickjacking), no content-type guessing, and
 * no dpsynth URL (job and dataset ids) in the Referer sent to other sites.
 */
export const SECURITY_HEADERS = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Content-Security-Policy", value: "frame-ancestors 'none'" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
];

const nextConfig: NextConfig = {
  // Workspace packages ship TypeScript sources, not builds.
  transpilePackages: ["@dpsynth/contracts", "@dpsynth/db", "@dpsynth/datasets"],
  // Node-only drivers are loaded by Node's require at run time rather than bundled.
  serverExternalPackages: [
    "@prisma/client",
    "@prisma/adapter-pg",
    "pg",
    "bullmq",
    "ioredis",
    "@aws-sdk/client-s3",
    "@aws-sdk/lib-storage",
  ],
  // Next allows one build or dev server per output folder; a second instance (a test run beside a dev server)
  // can point NEXT_DIST_DIR elsewhere.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
  reactStrictMode: true,
  experimental: {
    proxyClientMaxBodySize: `${(Number.isFinite(uploadLimitMb) ? uploadLimitMb : 50) + 1}mb`,
  },
};

export default nextConfig;
