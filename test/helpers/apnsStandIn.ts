// A stand-in for api.push.apple.com: an HTTP/2 TLS server that checks each request the way
// APNs documents it (client certificate whose UID is the apns-topic, or an ES256 provider
// token; POST /3/device/<64 hex>; apns-push-type mdm; priority 10; body {"mdm": PushMagic})
// and answers like APNs: 200 with apns-id, or a JSON {"reason": …} (410 adds "timestamp").
// Certificates come from OpenSSL, not from the code under test.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";

export interface ApnsPki {
  dir: string;
  /** PEMs: ca.pem (trusts the server and signs client.pem), server.key/.pem, client.key/.pem. */
  pem: Record<string, string>;
  openssl(args: string[]): void;
  cleanup(): void;
}

/** A test CA, the stand-in's TLS certificate, and a push certificate for `topic` (UID in the subject). */
export function createApnsPki(topic: string): ApnsPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "apns-test-"));
  const openssl = (args: string[]) => void execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  fs.writeFileSync(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test APNs CA"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", `/UID=${topic}/CN=APSP:test/C=US`]);
  openssl(["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2", "-extfile", "client.ext"]);
  const pem: Record<string, string> = {};
  for (const f of ["ca.pem", "server.key", "server.pem", "client.key", "client.pem"]) pem[f] = fs.readFileSync(path.join(dir, f), "utf8");
  return { dir, pem, openssl, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface Seen {
  headers: http2.IncomingHttpHeaders;
  body: string;
  clientUid: string | null;
  /** The HTTP/2 session the request came on (batching: one connection for many pushes). */
  session: number;
}

export interface StandInOptions {
  pki: ApnsPki;
  requireClientCert: boolean;
  /** Extra CA that issued push certificates (the "Apple" of a test). */
  clientCa?: string;
  tokenKey?: crypto.KeyObject;
  teamId?: string;
  /** Answer for the n-th request (1-based) and its device token; undefined: 200. */
  script?: (n: number, token: string) => { status: number; reason?: string } | undefined;
}

export interface StandIn {
  url: string;
  seen: Seen[];
  sessions(): number;
  close(): Promise<void>;
}

export async function startApnsStandIn(opts: StandInOptions): Promise<StandIn> {
  const seen: Seen[] = [];
  let sessionCount = 0;
  const ca = opts.clientCa ? [opts.pki.pem["ca.pem"], opts.clientCa] : opts.pki.pem["ca.pem"];
  const server = http2.createSecureServer({
    key: opts.pki.pem["server.key"],
    cert: opts.pki.pem["server.pem"],
    ca,
    requestCert: opts.requireClientCert,
    rejectUnauthorized: opts.requireClientCert,
    allowHTTP1: false,
  });
  const ids = new WeakMap<http2.Http2Session, number>();
  server.on("session", (s: http2.Http2Session) => ids.set(s, ++sessionCount));
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const socket = stream.session?.socket as TLSSocket | undefined;
      const peer = opts.requireClientCert && socket ? socket.getPeerCertificate() : null;
      const uid = peer?.subject ? ((peer.subject as unknown as Record<string, string>).UID ?? null) : null;
      seen.push({ headers, body, clientUid: uid, session: stream.session ? (ids.get(stream.session) ?? 0) : 0 });
      const reply = (status: number, reason?: string) => {
        const json = reason ? JSON.stringify(status === 410 ? { reason, timestamp: Date.now() } : { reason }) : undefined;
        stream.respond({ ":status": status, "apns-id": crypto.randomUUID().toUpperCase(), ...(json ? { "content-type": "application/json" } : {}) });
        stream.end(json);
      };
      if (headers[":method"] !== "POST") return reply(405, "MethodNotAllowed");
      const m = /^\/3\/device\/([0-9a-f]{64})$/.exec(String(headers[":path"]));
      if (!m) return reply(400, "BadPath");
      if (headers["apns-push-type"] !== "mdm") return reply(400, "InvalidPushType");
      if (headers["apns-priority"] !== "10") return reply(400, "BadPriority");
      if (opts.requireClientCert && headers["apns-topic"] !== uid) return reply(400, "TopicDisallowed");
      if (opts.tokenKey) {
        const jwt = /^bearer (.+)$/.exec(String(headers.authorization ?? ""))?.[1];
        if (!jwt) return reply(403, "MissingProviderToken");
        try {
          const h = decodeProtectedHeader(jwt);
          if (h.alg !== "ES256" || h.kid !== "KEY1234567") return reply(403, "InvalidProviderToken");
          const { payload } = await jwtVerify(jwt, await importSPKI(opts.tokenKey.export({ type: "spki", format: "pem" }) as string, "ES256"));
          if (payload.iss !== opts.teamId || typeof payload.iat !== "number") return reply(403, "InvalidProviderToken");
        } catch {
          return reply(403, "InvalidProviderToken");
        }
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return reply(400, "PayloadEmpty");
      }
      if (Buffer.byteLength(body) > 4096) return reply(413, "PayloadTooLarge");
      const keys = Object.keys(parsed as object);
      if (keys.length !== 1 || keys[0] !== "mdm" || typeof (parsed as { mdm: unknown }).mdm !== "string") return reply(400, "BadMdmPayload");
      const scripted = opts.script?.(seen.length, m[1]);
      if (scripted) return reply(scripted.status, scripted.reason);
      reply(200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, sessions: () => sessionCount, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
