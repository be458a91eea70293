// Building a PKCS#10 certificate request (RFC 2986) for a key we hold: the push certificate
// request the admin takes to Apple. Signed with SHA-256 by node:crypto, the AlgorithmIdentifier
// with its NULL parameter (RFC 4055), like every certificate this server signs.
import crypto from "node:crypto";
import { algorithmIdentifierDer, derTlv, derSmallInteger } from "./der";
import { publicSpkiOfPrivate } from "./keys";
import { nameFromString } from "./names";

const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";

/** DER CSR for `subject` ("CN=…, O=…") and an RSA private key (PEM); no attributes. */
export function buildCertificationRequest(subject: string, privateKeyPem: string): Uint8Array {
  const key = crypto.createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "rsa") throw new Error("push certificate requests use RSA keys");
  const info = derTlv(
    0x30,
    derSmallInteger(0),
    new Uint8Array(nameFromString(subject).toSchema().toBER(false)),
    publicSpkiOfPrivate(privateKeyPem),
    new Uint8Array([0xa0, 0x00]), // attributes [0] IMPLICIT SET OF Attribute: none
  );
  const signature = crypto.sign("sha256", info, key);
  return derTlv(0x30, info, algorithmIdentifierDer(SHA256_WITH_RSA), derTlv(0x03, new Uint8Array([0]), signature));
}
