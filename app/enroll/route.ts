// Public enroll page (seed 000): static HTML + CSS rendered on the server (no JavaScript),
// with the token, the steps for the visitor's device and the one-tap Download form.
import { enrollPageResponse } from "@/app/_lib/enrollPages";
import { remoteAddress } from "@/lib/http/remote";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  const jwt = new URL(request.url).searchParams.get("token");
  return enrollPageResponse(request, { kind: "jwt", jwt }, { remoteAddr: remoteAddress(request) });
}
