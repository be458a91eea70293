// An ACME client stand-in (RFC 8555 JWS with jose) that can also answer device-attest-01
// the way an Apple device does: attObj = CBOR {fmt: "apple", attStmt: {x5c}} whose leaf
// carries the freshness code SHA-256(token). The CSR comes from OpenSSL, not from our code.
import { execFileSync } from "node:child_process";
import crypto, { type KeyObject } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, FlattenedSign, type JWK } from "jose";
import { makeAppleAttestationChain, type AttestationChainOptions, type TestAttestationRoot } from "./fakeAppleAttestation";

export interface AcmeHttpAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { type?: string; detail?: string; status?: string | number };
  text: string;
}

export type JwsAlg = "ES256" | "ES384" | "RS256";

export function generateAccountKey(alg: JwsAlg = "ES256"): KeyObject {
  if (alg === "RS256") return crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  return crypto.generateKeyPairSync("ec", { namedCurve: alg === "ES256" ? "P-256" : "P-384" }).privateKey;
}

export class AcmeClient {
  accountUrl: string | null = null;
  private nonce: string | null = null;
  dir: Record<string, string> = {};

  constructor(
    /** Where the server listens (http://127.0.0.1:port). */
    readonly serverUrl: string,
    /** PUBLIC_URL: the URLs in the directory start with it. */
    readonly publicUrl: string,
    public key: KeyObject = generateAccountKey(),
    public alg: JwsAlg = "ES256",
  ) {}

  /** A URL from the server (public form) to where the test can reach it. */
  local(url: string): string {
    return url.startsWith(this.publicUrl) ? this.serverUrl + url.slice(this.publicUrl.length) : url;
  }

  async directory(): Promise<Record<string, string>> {
    const res = await fetch(this.local(`${this.publicUrl}/acme/directory`));
    this.dir = (await res.json()) as Record<string, string>;
    return this.dir;
  }

  async freshNonce(): Promise<string> {
    const res = await fetch(this.local(this.dir.newNonce), { method: "HEAD" });
    return res.headers.get("replay-nonce")!;
  }

  async jwk(): Promise<JWK> {
    return exportJWK(crypto.createPublicKey(this.key));
  }

  async thumbprint(): Promise<string> {
    return calculateJwkThumbprint(await this.jwk(), "sha256");
  }

  /** A flattened JWS; header fields can be overridden (tests of hostile requests). */
  async sign(url: string, payload: unknown, opts: { useJwk?: boolean; header?: Record<string, unknown>; key?: KeyObject; alg?: string } = {}): Promise<string> {
    const nonce = this.nonce ?? (await this.freshNonce());
    this.nonce = null;
    const keyObj = opts.key ?? this.key;
    const header: Record<string, unknown> = { alg: opts.alg ?? this.alg, nonce, url };
    if (opts.useJwk || !this.accountUrl) header.jwk = await exportJWK(crypto.createPublicKey(keyObj));
    else header.kid = this.accountUrl;
    Object.assign(header, opts.header ?? {});
    for (const k of Object.keys(header)) if (header[k] === undefined) delete header[k];
    const bytes = payload === "" ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(payload));
    const jws = await new FlattenedSign(bytes).setProtectedHeader(header as { alg: string }).sign(keyObj);
    return JSON.stringify(jws);
  }

  async postRaw(url: string, body: string | Uint8Array<ArrayBuffer>, contentType = "application/jose+json"): Promise<AcmeHttpAnswer> {
    const res = await fetch(this.local(url), { method: "POST", headers: { "content-type": contentType }, body });
    const n = res.headers.get("replay-nonce");
    if (n) this.nonce = n;
    const text = await res.text();
    let body2: AcmeHttpAnswer["body"] = {};
    try {
      body2 = text ? (JSON.parse(text) as AcmeHttpAnswer["body"]) : {};
    } catch {
      body2 = {};
    }
    return { status: res.status, headers: res.headers, body: body2, text };
  }

  async post(url: string, payload: unknown, opts: Parameters<AcmeClient["sign"]>[2] = {}): Promise<AcmeHttpAnswer> {
    return this.postRaw(url, await this.sign(url, payload, opts));
  }

  async newAccount(payload: Record<string, unknown> = { termsOfServiceAgreed: true }): Promise<AcmeHttpAnswer> {
    if (!this.dir.newAccount) await this.directory();
    const r = await this.post(this.dir.newAccount, payload, { useJwk: true });
    if (r.status === 200 || r.status === 201) this.accountUrl = r.headers.get("location");
    return r;
  }

  async newOrder(identifiers: { type: string; value: string }[]): Promise<AcmeHttpAnswer> {
    return this.post(this.dir.newOrder, { identifiers });
  }

  /** The order's first authorization and its challenge. */
  async firstChallenge(order: AcmeHttpAnswer): Promise<{ authzUrl: string; challenge: { type: string; url: string; token: string; status: string } }> {
    const authzUrl = (order.body.authorizations as string[])[0];
    const authz = await this.post(authzUrl, "");
    return { authzUrl, challenge: (authz.body.challenges as { type: string; url: string; token: string; status: string }[])[0] };
  }
}

/** CBOR head (RFC 8949 §3): major type and argument, shortest form. */
function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
const cborText = (s: string) => Buffer.concat([cborHead(3, Buffer.byteLength(s)), Buffer.from(s, "utf8")]);
const cborBytes = (b: Buffer) => Buffer.concat([cborHead(2, b.length), b]);

/**
 * The WebAuthn-style attestation object Apple's ACME client sends, encoded here byte by byte
 * (not with the CBOR library the server decodes with): {"fmt": "apple", "attStmt": {"x5c": [leaf, …]}, "authData": h''}.
 */
export function appleAttestationObject(x5c: Buffer[]): Buffer {
  return Buffer.concat([
    cborHead(5, 3),
    cborText("fmt"),
    cborText("apple"),
    cborText("attStmt"),
    cborHead(5, 1),
    cborText("x5c"),
    cborHead(4, x5c.length),
    ...x5c.map(cborBytes),
    cborText("authData"),
    cborBytes(Buffer.alloc(0)),
  ]);
}

/** What a device sends for device-attest-01: the payload {"attObj": …}. */
export function deviceAttestPayload(root: TestAttestationRoot, token: string, o: Omit<AttestationChainOptions, "freshness"> & { freshness?: Buffer }): { attObj: string } {
  const freshness = o.freshness ?? crypto.createHash("sha256").update(token).digest();
  const x5c = makeAppleAttestationChain(root, { ...o, freshness });
  return { attObj: appleAttestationObject(x5c).toString("base64url") };
}

/** A PKCS#10 request made by OpenSSL for `key`, DER, with optional DNS names. */
export function opensslCsr(key: KeyObject, subject: string, dnsNames: string[] = []): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-csr-"));
  try {
    const keyPath = path.join(dir, "key.pem");
    fs.writeFileSync(keyPath, key.export({ type: "pkcs8", format: "pem" }));
    const args = ["req", "-new", "-key", keyPath, "-subj", subject, "-outform", "DER"];
    if (dnsNames.length) args.push("-addext", `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(",")}`);
    return execFileSync("openssl", args);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The device's Secure Enclave key stand-in. */
export function deviceKey(curve: "P-256" | "P-384" = "P-256"): { privateKey: KeyObject; publicKey: KeyObject } {
  return crypto.generateKeyPairSync("ec", { namedCurve: curve });
}
