// External SCEP profiles (a CA we do not run): list (Read-only) and create (Admin). Creating
// fetches GetCACert and pins the CA only if it matches the confirmed caFingerprint.
import { withAdminApi } from "@/app/_lib/adminApi";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { createExternalScepProfile, listExternalScepProfiles } from "@/lib/scep/external/profiles";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async () => json({ externalScepProfiles: await listExternalScepProfiles() }));

export const POST = withAdminApi(async (request) => json(await createExternalScepProfile(await readJson(request)), 201));
