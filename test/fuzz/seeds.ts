// The real inputs the fuzz suite mutates, made against the fuzzed server's own state: a
// token link, SCEP profiles, a scepclient PKIOperation (Debian's micromdm client, captured on
// the wire), an enrolled device's identity, Apple's and NanoMDM's check-in captures, an
// OpenSSL OCSP request, account-driven users, tokens and settings.
import fs from "node:fs";
import { exportJWK, FlattenedSign, generateKeyPair, type JWK } from "jose";
import { newNonce } from "@/lib/acme/nonces";
import http from "node:http";
import path from "node:path";
import { issueAccessToken } from "@/lib/enrollment/accessTokens";
import { updateAddeSettings } from "@/lib/enrollment/addeSettings";
import { createRoute } from "@/lib/enrollment/routes";
import { createEnrollmentToken } from "@/lib/enrollment/tokens";
import { putUser } from "@/lib/enrollment/users";
import { getCa } from "@/lib/pki/ca";
import { generateRsaKeyPair } from "@/lib/pki/keys";
import { buildPlist, isPlistDict, type PlistDict, parsePlistStrict } from "@/lib/plist/plist";
import { createScepProfile } from "@/lib/scep/profiles";
import { currentMdmTopic } from "@/lib/settings/mdmEndpoints";
import { buildCsr, buildPkiMessage, getScepCerts, selfSigned } from "@/test/helpers/scepClient";
import { issueIdentity, randomUdid } from "@/test/mdm/helpers";
import { tempDir, tool } from "@/test/scep/tools";
import { SimDevice } from "@/test/sim/device";
import type { RouteModule } from "./harness";

const enc = new TextEncoder();
export const STATIC_CHALLENGE = "fuzz-static-challenge-0123456789";
const CAPTURE_DIRS = [path.resolve("test/fixtures/apple-captures"), path.resolve("test/fixtures/account-driven"), "/work/shared/fixtures/apple-captures"];

export interface Seeds {
  jwt: string;
  shortId: string;
  staticProfileId: string;
  dynamicProfileId: string;
  ndesProfileId: string;
  ndesAuth: string;
  /** PKIOperation bodies: scepclient's (when installed) and one built with pkijs. */
  pkiMessages: Uint8Array[];
  /** Check-in and command-report plists (captures, with this server's topic). */
  checkins: Uint8Array[];
  reports: Uint8Array[];
  device: SimDevice;
  /** The device's identity certificate as a PEM (the client-certificate header). */
  deviceCertPem: string;
  ocspRequest: Uint8Array;
  bearer: string;
  userIdentifier: string;
  oauthClientId: string;
  oauthRedirect: string;
  caPem: string;
  /** An ACME account (ES256): its key, its URL (kid), and one signed new-order request. */
  acme: { privateKey: CryptoKey; jwk: JWK; kid: string; sign: (url: string, payload: Uint8Array, header?: Record<string, unknown>) => Promise<string>; newOrder: Uint8Array };
}

/** An ACME account registered through the handler, and a signer for fresh requests. */
async function acmeAccount(acme: RouteModule): Promise<Seeds["acme"]> {
  const origin = process.env.PUBLIC_URL ?? "https://mdm.example.test";
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(publicKey);
  const sign = async (url: string, payload: Uint8Array, header: Record<string, unknown> = {}) => {
    const protectedHeader = { alg: "ES256", nonce: await newNonce(), url, ...header };
    return JSON.stringify(await new FlattenedSign(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(privateKey));
  };
  const post = acme.POST;
  if (!post) throw new Error("the ACME route has no POST handler");
  const url = `${origin}/acme/new-account`;
  const res = await post(
    new Request(url, { method: "POST", headers: { "content-type": "application/jose+json" }, body: await sign(url, enc.encode(JSON.stringify({ termsOfServiceAgreed: true })), { jwk }) }),
    { params: Promise.resolve({ path: ["new-account"] }) },
  );
  const kid = res.headers.get("location");
  if (res.status !== 201 || !kid) throw new Error(`ACME new-account answered ${res.status}: ${await res.text()}`);
  const orderUrl = `${origin}/acme/new-order`;
  const newOrder = enc.encode(await sign(orderUrl, enc.encode(JSON.stringify({ identifiers: [{ type: "permanent-identifier", value: "00008030-001A2B3C4D5E6F7A" }] })), { kid }));
  return { privateKey, jwk, kid, sign, newOrder };
}

function readCaptures(): { checkins: PlistDict[]; reports: PlistDict[] } {
  const checkins: PlistDict[] = [];
  const reports: PlistDict[] = [];
  const seen = new Set<string>();
  for (const dir of CAPTURE_DIRS) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs
      .readdirSync(dir)
      .filter((n) => n.endsWith(".plist"))
      .sort()) {
      if (seen.has(f)) continue;
      seen.add(f);
      const v = parsePlistStrict(fs.readFileSync(path.join(dir, f)));
      if (!isPlistDict(v)) continue;
      if (typeof v.MessageType === "string") checkins.push(v);
      else if (typeof v.Status === "string") reports.push(v);
    }
  }
  return { checkins, reports };
}

/** The real SCEP handler on a local port, keeping every PKIOperation message it receives. */
async function recordingScepServer(scep: RouteModule) {
  const bodies: Uint8Array[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.searchParams.get("operation") === "PKIOperation") {
      bodies.push(req.method === "POST" ? new Uint8Array(body) : new Uint8Array(Buffer.from(url.searchParams.get("message") ?? "", "base64")));
    }
    const id = decodeURIComponent(url.pathname.split("/").pop() ?? "");
    const handler = scep[req.method === "POST" ? "POST" : "GET"];
    if (!handler) throw new Error("the SCEP route has no GET or POST handler");
    const r = await handler(
      new Request(url, {
        method: req.method,
        body: req.method === "POST" ? body : undefined,
      }),
      { params: Promise.resolve({ id }) },
    );
    res.writeHead(r.status, Object.fromEntries(r.headers));
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Debian's scepclient enrolls once; its PKIOperation is the seed (null without scepclient). */
async function captureScepclient(serverUrl: string, bodies: Uint8Array[], profileId: string): Promise<Uint8Array | null> {
  const scepclient = "/usr/bin/scepclient";
  if (!fs.existsSync(scepclient)) return null;
  const before = bodies.length;
  const dir = tempDir("fuzz-scepclient-");
  await tool(
    scepclient,
    ["-server-url", `${serverUrl}/scep/${profileId}`, "-private-key", path.join(dir, "key.pem"), "-certificate", path.join(dir, "cert.pem"), "-cn", "fuzz-seed", "-challenge", STATIC_CHALLENGE],
    { cwd: dir },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  // scepclient is installed (CI installs it): a missing capture means the seed step broke.
  if (!bodies[before]) throw new Error("scepclient sent no PKIOperation to capture");
  return bodies[before];
}

async function pkijsMessage(serverUrl: string, profileId: string): Promise<Uint8Array> {
  const keys = await generateRsaKeyPair(2048);
  const csrDer = await buildCsr("CN=fuzz-pkijs,O=Fuzz", keys.privatePem, keys.publicPem, STATIC_CHALLENGE);
  const signer = await selfSigned("CN=fuzz-pkijs", keys.privatePem, keys.publicPem);
  const { raDer } = await getScepCerts(`${serverUrl}/scep/${profileId}`);
  return (
    await buildPkiMessage({
      csrDer,
      recipientCertDer: raDer,
      signerCertDer: signer,
      signerKeyPem: keys.privatePem,
    })
  ).body;
}

export async function makeSeeds(scep: RouteModule, checkin: RouteModule, acme: RouteModule): Promise<Seeds> {
  const ca = await getCa();
  const staticProfile = await createScepProfile({
    name: "fuzz static",
    challengeType: "STATIC",
    staticChallenge: STATIC_CHALLENGE,
    subjectTemplate: "CN=$UDID,O=Fuzz",
  });
  const dynamicProfile = await createScepProfile({
    name: "fuzz dynamic",
    challengeType: "DYNAMIC",
    subjectTemplate: "CN=$UDID,O=Fuzz",
  });
  const ndes = await createScepProfile({
    name: "fuzz ndes",
    challengeType: "NDES",
    ndesUsername: "fuzzer",
  });
  const token = await createEnrollmentToken({
    name: "fuzz link",
    expiresIn: "never",
    maxUses: 0,
    scepProfileId: dynamicProfile.profile.id,
  });
  const shortId = new URL(token.shortUrl).pathname.split("/").pop() ?? "";

  const pkiMessages: Uint8Array[] = [];
  const recorder = await recordingScepServer(scep);
  try {
    const captured = await captureScepclient(recorder.url, recorder.bodies, staticProfile.profile.id);
    if (captured) pkiMessages.push(captured);
    pkiMessages.push(await pkijsMessage(recorder.url, staticProfile.profile.id));
  } finally {
    await recorder.close();
  }

  const topic = await currentMdmTopic();
  const udid = randomUdid();
  const identity = await issueIdentity(`CN=${udid},O=Fuzz`);
  const device = new SimDevice({
    checkInUrl: "unused",
    serverUrl: "unused",
    topic,
    udid,
  });
  await device.useIdentity(identity);
  const { checkins, reports } = readCaptures();
  // The captures' own devices, on this server's topic; the simulator's messages under its UDID.
  const withTopic = (m: PlistDict): PlistDict => ("Topic" in m ? { ...m, Topic: topic } : m);
  const checkinBodies = [device.authenticateMessage(), device.tokenUpdateMessage(), ...checkins.map(withTopic)].map((m) => enc.encode(buildPlist(m)));
  // The simulator enrolls for real (Authenticate, TokenUpdate), so command reports reach the queue.
  for (const body of checkinBodies.slice(0, 2)) {
    const put = checkin.PUT;
    if (!put) throw new Error("the check-in route has no PUT handler");
    const headers = { "content-type": "application/x-apple-aspen-mdm-checkin", "mdm-signature": await device.sign(body) };
    const res = await put(new Request("https://mdm.example.test/mdm/checkin", { method: "PUT", headers, body: Buffer.from(body) }), { params: Promise.resolve({}) });
    if (res.status !== 200) throw new Error(`the fuzz device could not enroll: check-in answered ${res.status} ${await res.text()}`);
  }
  const reportBodies = [{ UDID: udid, Status: "Idle" }, ...reports.map((r) => ({ ...r, UDID: udid }))].map((m) => enc.encode(buildPlist(m as PlistDict)));

  const dir = tempDir("fuzz-ocsp-");
  fs.writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
  const reqPath = path.join(dir, "req.der");
  await tool("openssl", ["ocsp", "-issuer", path.join(dir, "ca.pem"), "-serial", `0x${identity.serial}`, "-reqout", reqPath, "-no_nonce"]);
  if (!fs.existsSync(reqPath)) throw new Error("openssl ocsp wrote no request to seed the OCSP fuzzing");
  const ocspRequest = new Uint8Array(fs.readFileSync(reqPath));
  fs.rmSync(dir, { recursive: true, force: true });

  const oauthClientId = "fuzz-devices";
  await updateAddeSettings({
    authMethod: "oauth2",
    oauthClientId,
    scepProfileId: dynamicProfile.profile.id,
  });
  await createRoute({
    domain: "example.com",
    modelFamily: "Mac",
    version: "mdm-adde",
  });
  await createRoute({ domain: "example.com", version: "mdm-byod" });
  const userIdentifier = "fuzz.user@example.com";
  const { user } = await putUser(userIdentifier, {
    managedAppleId: "fuzz.user@appleid.example.com",
    password: "fuzz-user-password",
  });
  const bearer = await issueAccessToken(user.id, "mdm-byod");

  return {
    jwt: token.jwt,
    shortId,
    staticProfileId: staticProfile.profile.id,
    dynamicProfileId: dynamicProfile.profile.id,
    ndesProfileId: ndes.profile.id,
    ndesAuth: `Basic ${Buffer.from(`fuzzer:${ndes.ndesPassword}`).toString("base64")}`,
    pkiMessages,
    checkins: checkinBodies,
    reports: reportBodies,
    device,
    deviceCertPem: `-----BEGIN CERTIFICATE-----\n${Buffer.from(identity.certDer).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----`,
    ocspRequest,
    bearer,
    userIdentifier,
    oauthClientId,
    oauthRedirect: "apple-remotemanagement-user-login:/oauth2/redirection",
    caPem: ca.certPem,
    acme: await acmeAccount(acme),
  };
}
