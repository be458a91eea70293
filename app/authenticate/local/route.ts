// The local-user password sign-in (small teams without an IdP).
import { authResultResponse } from "@/app/_lib/enrollPages";
import { localSignIn } from "@/lib/enrollment/userSignIn";
import { readForm } from "@/lib/http/form";
import { remoteAddress } from "@/lib/http/remote";
import { handle } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const POST = handle(async (request: Request) => {
  const form = await readForm(request);
  return authResultResponse(
    request,
    await localSignIn({
      identifier: form.get("identifier"),
      mode: form.get("mode"),
      flow: form.get("flow"),
      password: form.get("password"),
      remoteAddr: remoteAddress(request),
      acceptedTerms: form.get("acceptTerms"),
    }),
  );
});
