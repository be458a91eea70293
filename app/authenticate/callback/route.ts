// The IdP's redirect back after the person signed in (redirect URI registered at the IdP).
import { authResultResponse } from "@/app/_lib/enrollPages";
import { idpCallback } from "@/lib/enrollment/userSignIn";
import { remoteAddress } from "@/lib/http/remote";
import { handle } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = handle(async (request: Request) => authResultResponse(request, await idpCallback(new URL(request.url).searchParams, remoteAddress(request))));
