// CMS SignedData costs in isolation (lib/pki/cms.ts), next to the raw node:crypto operations
// with the same RSA-2048 keys: signing a ~4 KB profile (attached, the .mobileconfig case), and
// verifying a detached signature over a ~1 KB plist with the device's certificate inside the
// message (the Mdm-Signature header on every check-in and command poll). No database.
// Figures only; no assertion. Run: npx tsx bench/cms.bench.ts [seconds-per-figure]
import crypto from "node:crypto";
import os from "node:os";
import { benchEnv, measure } from "./helpers";

const SECONDS = Number(process.argv[2] ?? process.env.BENCH_SECONDS ?? 2);
const env = benchEnv("cms");

const { signData, verifySignedData } = await import("../lib/pki/cms");
const { generateRsaKeyPair, importSigningKey, publicKeyInfoFromPem } = await import("../lib/pki/keys");
const { nameFromString } = await import("../lib/pki/names");
const { buildCertificate, certificateDer, keyIdentifier, KU, EKU } = await import("../lib/pki/x509");

async function selfSigned(subject: string) {
  const keys = await generateRsaKeyPair(2048);
  const info = publicKeyInfoFromPem(keys.publicPem);
  const now = Date.now();
  const cert = await buildCertificate(
    {
      subject: nameFromString(subject),
      issuer: nameFromString(subject),
      publicKeyInfo: info,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      keyUsageBits: [KU.digitalSignature, KU.keyEncipherment],
      extKeyUsage: [EKU.clientAuth],
      issuerKeyId: keyIdentifier(info),
    },
    await importSigningKey(keys.privatePem),
  );
  return { certDer: certificateDer(cert), privatePem: keys.privatePem, privateKey: await importSigningKey(keys.privatePem) };
}

function line(label: string, r: { perSecond: number; n: number; p50: number }, extra = ""): void {
  console.log(`${label.padEnd(56)} ${r.perSecond.toFixed(1).padStart(8)} /s  p50 ${r.p50.toFixed(2).padStart(6)} ms  (${r.n} in ${SECONDS}s)${extra ? `  ${extra}` : ""}`);
}
const rate = (fn: () => unknown) => measure(fn, SECONDS);

const signer = await selfSigned("CN=Bench Profile Signing,O=Bench");
const device = await selfSigned("CN=00008120-0123456789ABCDEF,O=Bench");
const profile = Buffer.from(`<?xml version="1.0"?><plist version="1.0"><dict>${"<key>k</key><string>value</string>".repeat(110)}</dict></plist>`);
const checkin = Buffer.from(`<?xml version="1.0"?><plist version="1.0"><dict>${"<key>k</key><string>value</string>".repeat(28)}</dict></plist>`);
console.log(`RSA-2048 keys; profile ${profile.length} bytes, check-in body ${checkin.length} bytes; ${os.cpus().length} CPU(s)`);

const signerKey = crypto.createPrivateKey(signer.privatePem);
const rawSign = await rate(() => crypto.sign("sha256", profile, signerKey));
line("raw RSA sign, node:crypto", rawSign);
const signed = await rate(() => signData(profile, { certDer: signer.certDer, chainDer: [], privateKey: signer.privateKey }));
line("signData (attached profile)", signed, `${((signed.perSecond / rawSign.perSecond) * 100).toFixed(0)}% of raw sign`);

const deviceKey = crypto.createPrivateKey(device.privatePem);
const devicePub = crypto.createPublicKey(deviceKey);
const rawSig = crypto.sign("sha256", checkin, deviceKey);
const rawVerify = await rate(() => crypto.verify("sha256", checkin, devicePub, rawSig));
line("raw RSA verify, node:crypto", rawVerify);
const mdmSignature = await signData(checkin, { certDer: device.certDer, chainDer: [], privateKey: device.privateKey }, { detached: true });
const verified = await rate(() => verifySignedData(mdmSignature, checkin));
line("verifySignedData (detached Mdm-Signature)", verified, `${((verified.perSecond / rawVerify.perSecond) * 100).toFixed(0)}% of raw verify`);
// A device sends a fresh signature per request: parse cost cannot be cached by message bytes.
const fresh = await Promise.all(Array.from({ length: 50 }, () => signData(checkin, { certDer: device.certDer, chainDer: [], privateKey: device.privateKey }, { detached: true })));
let i = 0;
line("verifySignedData (50 distinct signatures, same device)", await rate(() => verifySignedData(fresh[i++ % fresh.length], checkin)));

env.cleanup();
