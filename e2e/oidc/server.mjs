// A real OpenID Connect provider for the e2e tests (the oidc-provider package), standing
// in for the organisation's IdP (Okta, Entra ID, Google). Its development login form
// accepts any user name; the password must be "correct horse" so failures can be tested.
// Users: anything@example.com. Group claims: names starting with "admin" get
// "enroll-admins", "owner" gets "enroll-owners"; everyone else none.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT ?? 3101);
const appUrl = process.env.APP_URL ?? "http://localhost:3100";
const issuer = `http://localhost:${port}`;

function groupsFor(id) {
  const local = id.split("@")[0];
  if (local.startsWith("owner")) return ["enroll-owners"];
  if (local.startsWith("admin")) return ["enroll-admins"];
  return [];
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "portal",
      client_secret: "portal-secret",
      redirect_uris: [`${appUrl}/api/auth/callback/oidc`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
    {
      client_id: "enroll",
      client_secret: "enroll-secret",
      redirect_uris: [`${appUrl}/authenticate/callback`, `${appUrl}/oauth2/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => false },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
  scopes: ["openid", "email", "profile", "groups", "offline_access"],
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, name: id.split("@")[0], groups: groupsFor(id) };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  conformIdTokenClaims: false,
  cookies: { keys: ["e2e-cookie-key-0123456789"] },
  ttl: { Session: 3600, Interaction: 3600, Grant: 3600, AccessToken: 3600, IdToken: 3600, AuthorizationCode: 600 },
});
provider.proxy = true;

// The dev login form accepts any password; insist on one so a wrong password fails.
// The body has to be read here to see the password; oidc-provider's own parser then finds
// the stream consumed and falls back to req.body (documented for upstream body parsers),
// so the consumed text is handed over there.
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (ctx.method === "POST" && m && ctx.is("application/x-www-form-urlencoded")) {
    const chunks = [];
    for await (const c of ctx.req) chunks.push(c);
    const body = Buffer.concat(chunks).toString();
    const params = new URLSearchParams(body);
    if (params.get("prompt") === "login" && params.get("password") !== "correct horse") {
      ctx.status = 401;
      ctx.type = "html";
      ctx.body = `<!doctype html><title>Sign-in failed</title><h1>Wrong password</h1><p><a href="/interaction/${encodeURIComponent(m[1])}">Try again</a></p>`;
      return;
    }
    ctx.req.body = body;
  }
  await next();
});

provider.listen(port, () => console.log(`oidc provider on ${issuer}`));
