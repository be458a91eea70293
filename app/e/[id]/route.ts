// Short enrollment link /e/<id>: the same page and checks as /enroll?token=<the token's JWT>.
import { enrollPageResponse } from "@/app/_lib/enrollPages";
import { remoteAddress } from "@/lib/http/remote";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  return enrollPageResponse(request, { kind: "short", shortId: id }, { remoteAddr: remoteAddress(request) });
}
