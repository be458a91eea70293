// The SCEP URL put into profiles. Apple's client appends "?operation=..." blindly, so
// the profile id lives in the path and the URL carries no query string.
import { config } from "../config";

export function scepUrl(profileId: string): string {
  return `${config().publicUrl}/scep/${encodeURIComponent(profileId)}`;
}
