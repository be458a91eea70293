// Pre-registered serial numbers: devices that may obtain attested ACME certificates without an enrollment binding.
import { importRegisteredDevices, importRowsFromBody, listRegisteredDevices } from "@/lib/acme/admin";
import { withAdminApi } from "@/app/_lib/adminApi";
import { LIMITS, readBody } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (request) => {
  const p = new URL(request.url).searchParams;
  const num = (k: string) => (p.get(k) && /^\d{1,6}$/.test(p.get(k)!) ? Number(p.get(k)) : undefined);
  return json(await listRegisteredDevices({ take: num("take"), skip: num("skip"), q: p.get("q") ?? undefined }));
});

export const POST = withAdminApi(async (request, caller) => {
  const rows = importRowsFromBody(request.headers.get("content-type"), await readBody(request, LIMITS.json));
  return json(await importRegisteredDevices(rows, `${caller.kind}:${caller.name}`));
});
