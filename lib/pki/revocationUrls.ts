// Where relying parties find revocation status: the URLs issued certificates name in their
// CRL Distribution Points and Authority Information Access extensions (RFC 5280 4.2.1.13,
// 4.2.2.1), built from PUBLIC_URL like every other URL devices get.
import { config } from "../config";
import { derTlv, oidDer } from "./der";

export const crlUrl = (): string => `${config().publicUrl}/ca.crl`;
export const ocspUrl = (): string => `${config().publicUrl}/ocsp`;
export const caIssuersUrl = (): string => `${config().publicUrl}/ca`;

const uri = (url: string) => derTlv(0x86, Buffer.from(url, "ascii")); // GeneralName uniformResourceIdentifier [6]

/** The CRL Distribution Points and Authority Information Access extensions for a certificate our CA issues. */
export function revocationExtensions(): { oid: string; value: Uint8Array }[] {
  // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }
  const cdp = derTlv(0x30, derTlv(0x30, derTlv(0xa0, derTlv(0xa0, uri(crlUrl())))));
  const aia = derTlv(
    0x30,
    derTlv(0x30, oidDer("1.3.6.1.5.5.7.48.1"), uri(ocspUrl())), // id-ad-ocsp
    derTlv(0x30, oidDer("1.3.6.1.5.5.7.48.2"), uri(caIssuersUrl())), // id-ad-caIssuers: the CA as DER
  );
  return [
    { oid: "2.5.29.31", value: cdp },
    { oid: "1.3.6.1.5.5.7.1.1", value: aia },
  ];
}
