// An APNs provider client over HTTP/2 (node:http2): certificate auth (the MDM push
// certificate as TLS client identity) or token auth (ES256 JWT). MDM pushes are
// {"mdm": PushMagic} with apns-push-type: mdm and priority 10, to /3/device/<token>.
import http2 from "node:http2";
import { importPKCS8, SignJWT } from "jose";
import type { ApnsAuth } from "../settings/apnsCredentials";

export interface MdmPush {
  /** The device's push token, hex. */
  deviceToken: string;
  pushMagic: string;
  topic: string;
}

export interface PushResult {
  ok: boolean;
  status: number;
  /** APNs' reason ("BadDeviceToken", "Unregistered", ...) or a network error message. */
  reason?: string;
  apnsId?: string;
  /** Worth trying again later (network failure, 429, 5xx). */
  retryable: boolean;
}

/** What the push service talks to; the real client in production, a fake only in tests. */
export interface PushSender {
  send(push: MdmPush): Promise<PushResult>;
  close(): Promise<void>;
}

export interface ApnsClientOptions {
  baseUrl: string;
  auth: ApnsAuth;
  /** Extra trust anchors (tests run a local HTTP/2 server with its own CA). */
  ca?: string;
  timeoutMs?: number;
}

const TOKEN_LIFETIME_MS = 50 * 60 * 1000; // APNs refuses provider tokens older than an hour

export class ApnsClient implements PushSender {
  private session: http2.ClientHttp2Session | null = null;
  private jwt: { value: string; at: number } | null = null;

  constructor(private readonly opts: ApnsClientOptions) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const auth = this.opts.auth;
    const tls = auth.kind === "certificate" ? { cert: auth.certPem, key: auth.keyPem } : {};
    const session = http2.connect(this.opts.baseUrl, { ...tls, ...(this.opts.ca ? { ca: this.opts.ca } : {}) });
    session.on("error", () => {
      if (this.session === session) this.session = null;
    });
    session.on("close", () => {
      if (this.session === session) this.session = null;
    });
    session.on("goaway", () => {
      if (this.session === session) this.session = null;
    });
    this.session = session;
    return session;
  }

  private async bearer(): Promise<string | null> {
    const auth = this.opts.auth;
    if (auth.kind !== "token") return null;
    if (this.jwt && Date.now() - this.jwt.at < TOKEN_LIFETIME_MS) return this.jwt.value;
    const key = await importPKCS8(auth.keyPem, "ES256");
    const value = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: auth.keyId }).setIssuer(auth.teamId).setIssuedAt().sign(key);
    this.jwt = { value, at: Date.now() };
    return value;
  }

  async send(push: MdmPush): Promise<PushResult> {
    if (!/^[0-9a-fA-F]{16,200}$/.test(push.deviceToken)) return { ok: false, status: 0, reason: "BadDeviceToken", retryable: false };
    let bearer: string | null;
    try {
      bearer = await this.bearer();
    } catch (err) {
      return { ok: false, status: 0, reason: `provider token: ${(err as Error).message}`, retryable: false };
    }
    const body = JSON.stringify({ mdm: push.pushMagic });
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": `/3/device/${push.deviceToken.toLowerCase()}`,
      "apns-topic": push.topic,
      "apns-push-type": "mdm",
      "apns-priority": "10",
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    };
    if (bearer) headers.authorization = `bearer ${bearer}`;
    return new Promise<PushResult>((resolve) => {
      let session: http2.ClientHttp2Session;
      try {
        session = this.connect();
      } catch (err) {
        resolve({ ok: false, status: 0, reason: (err as Error).message, retryable: true });
        return;
      }
      const req = session.request(headers);
      let status = 0;
      let apnsId: string | undefined;
      const chunks: Buffer[] = [];
      const done = (r: PushResult) => {
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        done({ ok: false, status: 0, reason: "timeout", retryable: true });
      }, this.opts.timeoutMs ?? 10_000);
      req.on("response", (h) => {
        status = Number(h[":status"] ?? 0);
        const id = h["apns-id"];
        apnsId = Array.isArray(id) ? id[0] : id;
      });
      req.on("data", (c: Buffer) => {
        if (chunks.length < 16) chunks.push(c);
      });
      req.on("end", () => {
        if (status === 200) return done({ ok: true, status, apnsId, retryable: false });
        let reason: string | undefined;
        try {
          reason = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { reason?: string }).reason;
        } catch {
          reason = undefined;
        }
        done({ ok: false, status, reason: reason ?? `HTTP ${status}`, apnsId, retryable: status === 429 || status >= 500 });
      });
      req.on("error", (err) => done({ ok: false, status: 0, reason: err.message, retryable: true }));
      req.end(body);
    });
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s && !s.closed) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
