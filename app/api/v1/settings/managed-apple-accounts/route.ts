// Managed Apple Account access management (GetToken com.apple.maid): the certificate to upload
// to Apple Business/School Manager for this MDM server, and the server UUID it shows.
import { withAdminApi } from "@/app/_lib/adminApi";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { maidCertificatePem, maidServerUuid, setMaidServerUuid } from "@/lib/mdm/maidToken";

export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json({ serverUuid: await maidServerUuid(), certificatePem: await maidCertificatePem() }));

export const PUT = withAdminApi(async (request) => {
  const body = (await readJson(request)) as { serverUuid?: unknown } | null;
  const serverUuid = await setMaidServerUuid(body && typeof body === "object" ? body.serverUuid : undefined);
  return json({ serverUuid, certificatePem: await maidCertificatePem() });
});
