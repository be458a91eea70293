// The Enrollment SSO document the first 401's X-Apple-MDM-ESSO header points at.
import { essoDocument } from "@/lib/enrollment/esso";
import { handle, json } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = handle(async () => {
  const doc = await essoDocument();
  return doc ? json(doc, 200, { "cache-control": "no-store" }) : json({ error: "not_found", message: "Enrollment SSO is not configured" }, 404);
});
