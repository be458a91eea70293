// A browser on the enroll page: submits the Download form (token and any other fields, such
// as the terms checkbox) and keeps the cookies the server sets, as Safari would.
export class EnrollBrowser {
  readonly jar = new Map<string, string>();
  constructor(private readonly baseUrl: () => string) {}

  async tapDownload(jwt: string, fields: Record<string, string> = {}): Promise<Response> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(`${this.baseUrl()}/enroll/profile`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams({ token: jwt, ...fields }).toString(),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
}
