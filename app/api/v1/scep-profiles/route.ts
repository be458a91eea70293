// SCEP profiles: list (Read-only) and create (Admin). Answers carry the SCEP URL; STATIC
// profiles also their shared password (not to Read-only admins); a new NDES profile its challenge-URL password once.
import { withAdminApi } from "@/app/_lib/adminApi";
import { seesEnrollmentSecrets } from "@/lib/auth/roles";
import { readJson } from "@/lib/http/body";
import { json } from "@/lib/http/respond";
import { createScepProfile, listScepProfiles } from "@/lib/scep/profiles";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdminApi(async (_request, caller) => json({ scepProfiles: await listScepProfiles({ includeStaticChallenge: seesEnrollmentSecrets(caller.role) }) }));

export const POST = withAdminApi(async (request) => json(await createScepProfile(await readJson(request)), 201));
