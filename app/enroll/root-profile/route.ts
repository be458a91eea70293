// The root certificate on its own, as a signed profile (see lib/profiles/rootProfile).
import { rootProfileFile } from "@/lib/enrollment/enrollPage";
import { fileResponse, handle } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = handle(async () => fileResponse(await rootProfileFile()));
