// The organisation's logo, served from our origin for the enroll and sign-in pages.
import { brandingLogoResponse } from "@/lib/settings/brandingLogo";
import { handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async () => brandingLogoResponse());
