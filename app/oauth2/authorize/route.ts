// OAuth 2 method: the authorization endpoint the 401's authorization-url names.
import { authResultResponse } from "@/app/_lib/enrollPages";
import { authorize } from "@/lib/enrollment/oauth";
import { requestQuery } from "@/lib/http/query";
import { remoteAddress } from "@/lib/http/remote";
import { handle } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = handle(async (request: Request) => authResultResponse(request, await authorize(requestQuery(request.url), remoteAddress(request))));
