// Device groups: list with device and policy counts (Read-only), create (Admin).
import { withAdminApi } from "@/app/_lib/adminApi";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { groupInputFromJson } from "@/lib/mdm/apiInput";
import { createGroup, listGroups } from "@/lib/mdm/groups";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json({ groups: await listGroups() }));

export const POST = withAdminApi(async (request) => json(await createGroup(groupInputFromJson(await readJson(request))), 201));
