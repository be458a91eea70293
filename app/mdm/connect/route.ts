// MDM command endpoint (ServerURL): command results in, next command out.
import { serveConnect } from "@/app/_lib/mdmHttp";

export const dynamic = "force-dynamic";

export async function PUT(request: Request): Promise<Response> {
  return serveConnect(request);
}
