// Signed enrollment profiles per second, next to the raw signing rate of the same key
// (node:crypto sign loop over the profile signer's RSA key), plus the whole OTA download
// (verify JWT, take a use, issue a challenge, build, sign, log) and the ES256 JWT key.
// Figures only; no assertion. Run: npx tsx bench/profiles.bench.ts [seconds-per-figure]
import crypto from "node:crypto";
import os from "node:os";
import { benchEnv, measure, openBenchDb } from "./helpers";
import { getProfileTrust } from "@/lib/pki/trust";

const SECONDS = Number(process.argv[2] ?? process.env.BENCH_SECONDS ?? 2);
const env = benchEnv("profiles");

const { getCa } = await import("../lib/pki/ca");
const { getProfileSigner, PROFILE_SIGNER_KEY_NAME } = await import("../lib/pki/profileSigner");
const { loadServerKey } = await import("../lib/secrets/serverKeys");
const { buildEnrollmentProfile, signProfile, ACCESS_RIGHTS_ALL } = await import("../lib/profiles/enrollmentProfile");
const { createEnrollmentToken, verifyEnrollmentToken } = await import("../lib/enrollment/tokens");
const { downloadEnrollmentProfile } = await import("../lib/enrollment/otaService");
const { JWT_KEY_NAME } = await import("../lib/enrollment/jwtKey");

const database = await openBenchDb("profiles");
const { kind } = database;
const rate = (fn: () => unknown) => measure(fn, SECONDS);

function line(label: string, r: { perSecond: number; n: number; p50: number }, extra = ""): void {
  console.log(`${label.padEnd(58)} ${r.perSecond.toFixed(1).padStart(9)} /s  p50 ${r.p50.toFixed(2).padStart(6)} ms  (${r.n} in ${SECONDS}s)${extra ? `  ${extra}` : ""}`);
}

await getCa(); // created before the first profile is signed
await getProfileSigner();
const signerKey = (await loadServerKey(PROFILE_SIGNER_KEY_NAME))!;
const rsaKey = crypto.createPrivateKey(signerKey.privatePem);

const { xml } = buildEnrollmentProfile({
  displayName: "Bench MDM",
  trust: await getProfileTrust(),
  identity: {
    kind: "scep",
    url: "https://mdm.example.test/scep/x",
    name: "ca",
    challenge: "C".repeat(32),
    subject: "CN=OTA-0123456789AB",
    keySize: 2048,
    keyUsage: 5,
    allowAllAppsAccess: false,
    keyIsExtractable: false,
  },
  mdm: {
    serverUrl: "https://mdm.example.test/mdm/connect",
    checkInUrl: "https://mdm.example.test/mdm/checkin",
    topic: "com.apple.mgmt.External.x",
    accessRights: ACCESS_RIGHTS_ALL,
    signMessage: true,
    checkOutWhenRemoved: true,
  },
});
const xmlBytes = Buffer.from(xml);
console.log(`database: ${kind}; profile: ${xmlBytes.length} bytes; profile signer: ${signerKey.algorithm}; ${os.cpus().length} CPU(s)`);

const rawRsa = await rate(() => crypto.sign("sha256", xmlBytes, rsaKey));
line(`raw RSA sign, node:crypto (${signerKey.algorithm}, SHA-256)`, rawRsa);
const { privateKey: signerCryptoKey } = await getProfileSigner();
line("raw RSA sign, WebCrypto (same key as a CryptoKey)", await rate(() => crypto.webcrypto.subtle.sign("RSASSA-PKCS1-v1_5", signerCryptoKey, xmlBytes)));
const signed = await rate(() => signProfile(xml));
line("signed profiles (signProfile: CMS SignedData)", signed, `${((signed.perSecond / rawRsa.perSecond) * 100).toFixed(0)}% of raw`);
const built = await rate(async () =>
  signProfile(
    buildEnrollmentProfile({
      displayName: "Bench MDM",
      trust: await getProfileTrust(),
      identity: {
        kind: "scep",
        url: "https://mdm.example.test/scep/x",
        name: "ca",
        challenge: "C".repeat(32),
        subject: "CN=OTA-0123456789AB",
        keySize: 2048,
        keyUsage: 5,
        allowAllAppsAccess: false,
        keyIsExtractable: false,
      },
      mdm: {
        serverUrl: "https://mdm.example.test/mdm/connect",
        checkInUrl: "https://mdm.example.test/mdm/checkin",
        topic: "com.apple.mgmt.External.x",
        accessRights: ACCESS_RIGHTS_ALL,
        signMessage: true,
        checkOutWhenRemoved: true,
      },
    }).xml,
  ),
);
line("built + signed profiles", built);

const token = await createEnrollmentToken({ name: "Bench", expiresIn: "never", maxUses: 0 });
const downloads = await rate(async () => {
  const r = await downloadEnrollmentProfile(token.jwt);
  if (!r.ok) throw new Error(`download refused: ${r.reason}`);
});
line(`full OTA downloads (verify, use, challenge, build, sign, log; ${kind})`, downloads);

const jwtKey = (await loadServerKey(JWT_KEY_NAME))!;
const ecKey = crypto.createPrivateKey(jwtKey.privatePem);
const header = Buffer.from(token.jwt.split(".").slice(0, 2).join("."));
line(`raw ECDSA sign, node:crypto (${jwtKey.algorithm} JWT key)`, await rate(() => crypto.sign("sha256", header, { key: ecKey, dsaEncoding: "ieee-p1363" })));
line("enrollment token verifications (signature + database row)", await rate(() => verifyEnrollmentToken(token.jwt)));

await database.close();
env.cleanup();
