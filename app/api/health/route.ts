import { health } from "@/lib/health";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET() {
  const h = await health();
  return json(h, h.ok ? 200 : 503, { "cache-control": "no-store" });
}
