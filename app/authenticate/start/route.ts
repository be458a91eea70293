// "Continue with <IdP>" on the sign-in page: keeps the flow server-side, redirects to the IdP.
import { authResultResponse } from "@/app/_lib/enrollPages";
import { startIdpSignIn } from "@/lib/enrollment/userSignIn";
import { readForm } from "@/lib/http/form";
import { remoteAddress } from "@/lib/http/remote";
import { handle } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const POST = handle(async (request: Request) => {
  const form = await readForm(request);
  return authResultResponse(
    request,
    await startIdpSignIn({ identifier: form.get("identifier"), mode: form.get("mode"), flow: form.get("flow"), remoteAddr: remoteAddress(request), acceptedTerms: form.get("acceptTerms") }),
  );
});
