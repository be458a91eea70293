// Reading a PKCS#12 (.p12) file (RFC 7292): the private key and certificates an admin
// exported from Keychain Access or OpenSSL, opened with its password. The integrity MAC is
// checked first (a wrong password says so instead of failing later); shrouded keys and
// encrypted certificate bags are decrypted here, for PBES2 (OpenSSL 3's default) and the
// PKCS#12 3DES scheme (Keychain's). RC2 (OpenSSL's -legacy)
// is not in OpenSSL 3's default provider: such files get a conversion command.
import crypto from "node:crypto";
import * as asn1js from "asn1js";
import { DerError, octets, parseDer, stringBytes, toPem } from "./der";

export class Pkcs12Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Pkcs12Error";
  }
}

export interface Pkcs12Contents {
  /** PKCS#8 PEM, or null when the file carries no key. */
  keyPem: string | null;
  /** PEM certificates in file order. */
  certPems: string[];
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  pbeSha1TripleDes: "1.2.840.113549.1.12.1.3",
  pbeSha1Rc2_128: "1.2.840.113549.1.12.1.5",
  pbeSha1Rc2_40: "1.2.840.113549.1.12.1.6",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const;

const PRF: Record<string, string> = { "1.2.840.113549.2.7": "sha1", "1.2.840.113549.2.9": "sha256", "1.2.840.113549.2.10": "sha384", "1.2.840.113549.2.11": "sha512" };
const CIPHER: Record<string, { name: string; keyLength: number }> = {
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", keyLength: 16 },
  "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", keyLength: 24 },
  "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", keyLength: 32 },
  "1.2.840.113549.3.7": { name: "des-ede3-cbc", keyLength: 24 },
};

const LEGACY_HINT = "Re-export it without the legacy RC2 encryption: openssl pkcs12 -in old.p12 -nodes -legacy -out tmp.pem && openssl pkcs12 -export -in tmp.pem -out new.p12 (then delete tmp.pem).";

function seq(v: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(v instanceof asn1js.Sequence) && !(v instanceof asn1js.Set) && !(v instanceof asn1js.Constructed)) throw new Pkcs12Error(`malformed PKCS#12: ${what} is not a sequence`);
  return (v.valueBlock as { value: asn1js.AsnType[] }).value;
}

function oid(v: asn1js.AsnType | undefined, what: string): string {
  if (!(v instanceof asn1js.ObjectIdentifier)) throw new Pkcs12Error(`malformed PKCS#12: ${what} is not an object identifier`);
  return v.valueBlock.toString();
}

function int(v: asn1js.AsnType | undefined, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (!(v instanceof asn1js.Integer)) throw new Pkcs12Error("malformed PKCS#12: expected an integer");
  const n = v.valueBlock.valueDec;
  if (!Number.isSafeInteger(n) || n < 1 || n > 1_000_000) throw new Pkcs12Error("PKCS#12 iteration count out of range");
  return n;
}

/** The [0] EXPLICIT content of a ContentInfo or bag. */
function explicit0(v: asn1js.AsnType | undefined, what: string): asn1js.AsnType {
  const inner = v && v.idBlock.tagClass === 3 && v.idBlock.tagNumber === 0 ? (v.valueBlock as { value?: asn1js.AsnType[] }).value?.[0] : undefined;
  if (!inner) throw new Pkcs12Error(`malformed PKCS#12: ${what} has no content`);
  return inner;
}

/** PKCS#12 password: BMPString (UTF-16BE) with a terminating NUL (so "" is two zero bytes, as OpenSSL writes it). */
function bmpPassword(password: string): Buffer {
  const le = Buffer.from(`${password}\0`, "utf16le");
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
  return le;
}

/** RFC 7292 Appendix B.2 key derivation (id 1 key, 2 IV, 3 MAC key). */
function pkcs12Kdf(hash: "sha1" | "sha256", password: Buffer, salt: Uint8Array, id: number, iterations: number, size: number): Buffer {
  const u = hash === "sha1" ? 20 : 32;
  const v = 64;
  const D = Buffer.alloc(v, id);
  const fill = (src: Uint8Array) => {
    if (!src.length) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length];
    return out;
  };
  let I = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  for (let produced = 0; produced < size; produced += u) {
    let A = crypto
      .createHash(hash)
      .update(Buffer.concat([D, I]))
      .digest();
    for (let i = 1; i < iterations; i++) A = crypto.createHash(hash).update(A).digest();
    out.push(A);
    const B = fill(A);
    const next = Buffer.alloc(I.length);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k] + B[k] + carry;
        next[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
    I = next;
  }
  return Buffer.concat(out).subarray(0, size);
}

function decrypt(algorithm: asn1js.AsnType, ciphertext: Uint8Array, password: string): Buffer {
  const [algOid, params] = seq(algorithm, "encryption algorithm");
  const which = oid(algOid, "encryption algorithm");
  try {
    if (which === OID.pbes2) {
      const [kdf, scheme] = seq(params, "PBES2 parameters");
      const [kdfOid, kdfParams] = seq(kdf, "PBES2 key derivation");
      if (oid(kdfOid, "key derivation") !== OID.pbkdf2) throw new Pkcs12Error("unsupported PBES2 key derivation");
      const p = seq(kdfParams, "PBKDF2 parameters");
      const salt = octets(p[0]);
      const iterations = int(p[1]);
      const prfAlg = p.find((x) => x instanceof asn1js.Sequence);
      const prf = prfAlg ? PRF[oid(seq(prfAlg, "PBKDF2 PRF")[0], "PBKDF2 PRF")] : "sha1";
      const [cipherOid, iv] = seq(scheme, "PBES2 encryption scheme");
      const cipher = CIPHER[oid(cipherOid, "cipher")];
      if (!cipher || !prf) throw new Pkcs12Error("unsupported PBES2 cipher or PRF");
      const key = crypto.pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, cipher.keyLength, prf);
      const d = crypto.createDecipheriv(cipher.name, key, octets(iv));
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }
    if (which === OID.pbeSha1TripleDes) {
      const [salt, iter] = seq(params, "PBE parameters");
      const pw = bmpPassword(password);
      const key = pkcs12Kdf("sha1", pw, octets(salt), 1, int(iter), 24);
      const iv = pkcs12Kdf("sha1", pw, octets(salt), 2, int(iter), 8);
      const d = crypto.createDecipheriv("des-ede3-cbc", key, iv);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }
  } catch (err) {
    if (err instanceof Pkcs12Error) throw err;
    throw new Pkcs12Error("the .p12 could not be decrypted with this password");
  }
  if (which === OID.pbeSha1Rc2_40 || which === OID.pbeSha1Rc2_128) throw new Pkcs12Error(`This .p12 uses RC2 encryption, which this server does not support. ${LEGACY_HINT}`);
  throw new Pkcs12Error(`This .p12 uses an unsupported encryption (${which}).`);
}

function checkMac(macData: asn1js.AsnType, authSafe: Uint8Array, password: string): void {
  const [digestInfo, macSalt, iterations] = seq(macData, "MAC data");
  const [alg, digest] = seq(digestInfo, "MAC digest");
  const algOid = oid(seq(alg, "MAC algorithm")[0], "MAC algorithm");
  const hash = algOid === OID.sha1 ? "sha1" : algOid === OID.sha256 ? "sha256" : null;
  if (!hash) throw new Pkcs12Error(`This .p12's integrity check uses an unsupported algorithm (${algOid}); re-export it with: openssl pkcs12 -export -macalg sha256`);
  const expected = octets(digest);
  const matches = (pw: Buffer) => {
    const key = pkcs12Kdf(hash, pw, octets(macSalt), 3, int(iterations, 1), hash === "sha1" ? 20 : 32);
    const mac = crypto.createHmac(hash, key).update(authSafe).digest();
    return mac.length === expected.length && crypto.timingSafeEqual(mac, expected);
  };
  // No password at all is written as no bytes by some tools, as "\0\0" by others.
  if (!matches(bmpPassword(password)) && !(password === "" && matches(Buffer.alloc(0)))) throw new Pkcs12Error("Wrong password for this .p12 file (its integrity check failed).");
}

function readBags(bags: asn1js.AsnType, password: string, out: { keys: string[]; certs: string[] }): void {
  for (const bag of seq(bags, "SafeContents")) {
    const [typeOid, value] = seq(bag, "SafeBag");
    const type = oid(typeOid, "bag type");
    const content = explicit0(value, "bag");
    if (type === OID.keyBag) {
      out.keys.push(toPem(new Uint8Array(content.toBER(false)), "PRIVATE KEY"));
    } else if (type === OID.shroudedKeyBag) {
      const [alg, encrypted] = seq(content, "EncryptedPrivateKeyInfo");
      // Decrypted here, like the certificate bags, so both schemes and their errors are handled alike.
      const plain = decrypt(alg, octets(encrypted), password);
      let key: crypto.KeyObject;
      try {
        key = crypto.createPrivateKey({ key: plain, format: "der", type: "pkcs8" });
      } catch {
        throw new Pkcs12Error("the .p12 could not be decrypted with this password");
      }
      out.keys.push(key.export({ type: "pkcs8", format: "pem" }) as string);
    } else if (type === OID.certBag) {
      const [certType, certValue] = seq(content, "CertBag");
      if (oid(certType, "certificate type") !== OID.x509Certificate) continue;
      out.certs.push(toPem(octets(explicit0(certValue, "certificate")), "CERTIFICATE"));
    }
    // Other bags (CRLs, secrets, nested SafeContents) carry nothing we need.
  }
}

/** The key and certificates of a .p12; a wrong password or an unsupported file throws Pkcs12Error. */
export function readPkcs12(der: Uint8Array, password: string): Pkcs12Contents {
  try {
    const pfx = seq(parseDer(der, "PKCS#12 file"), "PFX");
    const [, authSafeInfo, macData] = pfx;
    const [ctype, content] = seq(authSafeInfo, "authSafe");
    if (oid(ctype, "authSafe type") !== OID.data) throw new Pkcs12Error("This .p12 is signed with a public key, not protected by a password; export it with a password.");
    const authSafe = octets(explicit0(content, "authSafe"));
    if (macData) checkMac(macData, authSafe, password);
    const out = { keys: [] as string[], certs: [] as string[] };
    for (const info of seq(parseDer(authSafe, "AuthenticatedSafe"), "AuthenticatedSafe")) {
      const [t, c] = seq(info, "ContentInfo");
      const type = oid(t, "content type");
      if (type === OID.data) {
        readBags(parseDer(octets(explicit0(c, "data")), "SafeContents"), password, out);
      } else if (type === OID.encryptedData) {
        const [, eci] = seq(explicit0(c, "encrypted data"), "EncryptedData");
        const [, alg, encrypted] = seq(eci, "EncryptedContentInfo");
        if (!encrypted) continue;
        readBags(parseDer(decrypt(alg, stringBytes(encrypted), password), "SafeContents"), password, out);
      } else {
        throw new Pkcs12Error("This .p12 uses public-key encryption; export it with a password.");
      }
    }
    if (out.keys.length > 1) throw new Pkcs12Error("This .p12 holds more than one private key; export only the one identity.");
    return { keyPem: out.keys[0] ?? null, certPems: out.certs };
  } catch (err) {
    if (err instanceof Pkcs12Error) throw err;
    if (err instanceof DerError) throw new Pkcs12Error(`This is not a readable .p12 file (${err.message}).`);
    throw new Pkcs12Error("This is not a readable .p12 file.");
  }
}
