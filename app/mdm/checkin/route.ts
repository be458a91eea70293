// MDM check-in endpoint (CheckInURL): Authenticate, TokenUpdate, CheckOut, ...
import { serveCheckin } from "@/app/_lib/mdmHttp";

export const dynamic = "force-dynamic";

export async function PUT(request: Request): Promise<Response> {
  return serveCheckin(request);
}
