// Reading an uploaded .mobileconfig: unwrap the CMS envelope if it is signed, parse the
// plist strictly, and check it against Apple's profile schemas.
import { AppError } from "../errors";
import { LIMITS } from "../http/body";
import { validateProfile } from "../profiles/appleSchema";
import { isPlistDict, parsePlistStrict, PlistError, type PlistDict } from "../plist/plist";
import { unwrapSignedProfile } from "./profileSignature";

export interface UploadedProfile {
  identifier: string;
  displayName: string | null;
  dict: PlistDict;
  signed: boolean;
}

const invalid = (message: string) => new AppError(400, "invalid_policy", message);

export async function readUploadedProfile(bytes: Uint8Array): Promise<UploadedProfile> {
  if (bytes.byteLength > LIMITS.profileUpload) throw new AppError(413, "payload_too_large", `profile exceeds ${LIMITS.profileUpload} bytes`);
  // A signed profile is DER (SEQUENCE tag); an unsigned one is XML text.
  const signed = bytes[0] === 0x30;
  const content = signed ? await unwrapSignedProfile(bytes) : bytes;
  let top;
  try {
    top = parsePlistStrict(content);
  } catch (err) {
    throw invalid(`not a valid profile: ${err instanceof PlistError ? err.message : "unreadable property list"}`);
  }
  if (!isPlistDict(top)) throw invalid("not a valid profile: the property list is not a dictionary");
  const errors = validateProfile(top);
  if (errors.length) throw invalid(`profile does not match Apple's schema: ${errors.join("; ")}`);
  return {
    identifier: top.PayloadIdentifier as string,
    displayName: typeof top.PayloadDisplayName === "string" ? top.PayloadDisplayName : null,
    dict: top,
    signed,
  };
}
