import NextAuth from "next-auth";
import { checkCallbackUrl } from "@/app/_lib/callbackUrl";
import { authOptions } from "@/lib/auth/options";
import { errorResponse } from "@/lib/http/respond";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const handler = async (req: Request, ctx: { params: Promise<{ nextauth: string[] }> }): Promise<Response> => {
  try {
    await checkCallbackUrl(req);
  } catch (err) {
    return errorResponse(err);
  }
  return NextAuth(authOptions())(req, ctx);
};
export { handler as GET, handler as POST };
