// HTTP answers for profile downloads: the signed .mobileconfig, or, when refused, the
// reason's status with the enroll path's branded, translated error page (the user arrives
// here from a button, so a JSON error would strand them).
import { problemPage } from "./enrollPage";
import type { ProfileDownload } from "./otaService";

export async function profileDownloadResponse(request: Request, result: ProfileDownload): Promise<Response> {
  if (result.ok) {
    return new Response(new Uint8Array(result.body), {
      status: 200,
      headers: {
        "content-type": result.contentType,
        "content-disposition": `attachment; filename="${result.filename}"`,
        "cache-control": "no-store",
      },
    });
  }
  return problemPage(request, result.reason, result.status);
}
