// Ongoing authorization of account-driven devices (enroll endpoint, check-ins, command
// polls): the access token must be valid and the user must still be covered by a routing
// rule for the token's kind of enrollment, so deleting or disabling a rule takes effect on
// devices that already hold tokens.
import { verifyAccessToken, type VerifyResult } from "./accessTokens";
import { userRoutedTo } from "./routes";

export async function authorizeAccessToken(token: string): Promise<VerifyResult> {
  const r = await verifyAccessToken(token);
  if (!r.ok) return r;
  if (!(await userRoutedTo(r.userIdentifier, r.version))) return { ok: false, reason: "adde_route_removed", userIdentifier: r.userIdentifier };
  return r;
}
