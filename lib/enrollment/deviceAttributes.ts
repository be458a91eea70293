// The device's answer to a Profile Service profile: a CMS SignedData (attached content) over a
// property list of the attributes we asked for, signed with the device's identity certificate.
// Read from hostile input: size limits, strict plist, text fields checked; anything else is a
// DeviceAttributesError (never another exception).
import { issuedByAppleDeviceCa } from "../attestation/appleDeviceIdentity";
import { CmsError, verifySignedData } from "../pki/cms";
import { parsePlistStrict } from "../plist/plist";
import { isPlistDict, type PlistValue } from "../plist/plist";

/** A real answer is a few kilobytes (the plist plus one or two certificates). */
export const DEVICE_ATTRIBUTES_LIMIT = 64 * 1024;
const PLIST_LIMIT = 16 * 1024;
const FIELD_MAX = 128;

export class DeviceAttributesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceAttributesError";
  }
}

export interface DeviceAttributes {
  udid: string;
  serialNumber: string | null;
  /** The model identifier ("iPhone15,2", "Mac14,2", "AppleTV11,1"). */
  product: string | null;
  /** The OS build ("21E236"): Apple's VERSION attribute is the build, not "17.4". */
  version: string | null;
  deviceName: string | null;
  challenge: string | null;
  /** The signer certificate was issued by Apple's iPhone Device CA (or the configured test CA). */
  appleSigned: boolean;
}

// UDIDs: 40 hex (older iPhones), 8-16 hex with a dash (A12 and later), a UUID (Macs).
const UDID = /^[0-9A-Fa-f][0-9A-Fa-f-]{23,63}$/;

function field(dict: Record<string, PlistValue>, key: string): string | null {
  const v = dict[key];
  if (v === undefined) return null;
  if (typeof v !== "string") throw new DeviceAttributesError(`${key} is not a string`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (v.length > FIELD_MAX || /[\u0000-\u001f\u007f]/.test(v)) throw new DeviceAttributesError(`${key} is too long or holds control characters`);
  return v === "" ? null : v;
}

export async function readDeviceAttributes(body: Uint8Array): Promise<DeviceAttributes> {
  if (body.byteLength === 0) throw new DeviceAttributesError("the body is empty");
  if (body.byteLength > DEVICE_ATTRIBUTES_LIMIT) throw new DeviceAttributesError(`the body exceeds ${DEVICE_ATTRIBUTES_LIMIT} bytes`);
  let content: Uint8Array;
  let signerCertDer: Uint8Array;
  try {
    ({ content, signerCertDer } = await verifySignedData(body));
  } catch (err) {
    throw new DeviceAttributesError(`not a valid CMS signature: ${err instanceof CmsError ? err.message : "unreadable"}`);
  }
  let value: PlistValue;
  try {
    value = parsePlistStrict(content, PLIST_LIMIT);
  } catch (err) {
    throw new DeviceAttributesError(`the signed content is not a property list: ${(err as Error).message}`);
  }
  if (!isPlistDict(value)) throw new DeviceAttributesError("the signed property list is not a dictionary");
  const udid = field(value, "UDID");
  if (!udid || !UDID.test(udid)) throw new DeviceAttributesError("the attributes carry no valid UDID");
  return {
    udid,
    serialNumber: field(value, "SERIAL"),
    product: field(value, "PRODUCT"),
    version: field(value, "VERSION"),
    deviceName: field(value, "DEVICE_NAME"),
    challenge: field(value, "CHALLENGE"),
    appleSigned: issuedByAppleDeviceCa(signerCertDer),
  };
}
