// MDM check-in endpoint (CheckInURL): Authenticate, TokenUpdate, CheckOut, ...
import { serveCheckin } from "@/lib/mdm/mdmHttp";

export const dynamic = "force-dynamic";

export async function PUT(request: Request): Promise<Response> {
  return serveCheckin(request);
}
