// Phase two of device-bound OTA enrollment: the device posts its CMS-signed attributes
// (Content-Type application/pkcs7-signature) and gets the enrollment profile made for it.
import { problemPageResponse } from "@/app/_lib/enrollPages";
import { DEVICE_ATTRIBUTES_LIMIT } from "@/lib/enrollment/deviceAttributes";
import { answerProfileService } from "@/lib/enrollment/profileService";
import { readBody } from "@/lib/http/body";
import { remoteAddress } from "@/lib/http/remote";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request, { params }: { params: Promise<{ binding: string }> }): Promise<Response> {
  const { binding } = await params;
  let body: Uint8Array;
  try {
    body = await readBody(request, DEVICE_ATTRIBUTES_LIMIT);
  } catch {
    body = new Uint8Array(0); // oversized or unreadable: refused below as malformed, never a 500
  }
  const answer = await answerProfileService(binding, body, { remoteAddr: remoteAddress(request) });
  if (!answer.ok) return problemPageResponse(request, answer.reason, answer.status);
  return new Response(new Uint8Array(answer.body), {
    status: 200,
    headers: { "content-type": answer.contentType, "content-disposition": `attachment; filename="${answer.filename}"`, "cache-control": "no-store" },
  });
}
