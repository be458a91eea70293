// Enrollment governance settings: the per-user device limit (0 = off).
import { withAdminApi } from "@/app/_lib/adminApi";
import { getDeviceLimitSetting, setDeviceLimitSetting } from "@/lib/enrollment/deviceLimit";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json({ deviceLimit: await getDeviceLimitSetting() }));

export const PUT = withAdminApi(async (request) => {
  const body = (await readJson(request)) as { deviceLimit?: unknown } | null;
  return json({ deviceLimit: await setDeviceLimitSetting(body && typeof body === "object" ? body.deviceLimit : undefined) });
});
