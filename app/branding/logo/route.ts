// The organisation's logo, served from our origin for the enroll and sign-in pages.
import { brandingLogoFile } from "@/lib/settings/brandingLogo";
import { fileResponse, handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async () => {
  const logo = await brandingLogoFile();
  return logo ? fileResponse(logo) : new Response("no logo", { status: 404, headers: { "content-type": "text/plain", "cache-control": "no-store" } });
});
