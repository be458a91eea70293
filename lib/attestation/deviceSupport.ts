// Which devices can attest (Managed Device Attestation: ACME Attest and DeviceInformation
// DevicePropertiesAttestation), from the model identifier and the OS version or build.
// Apple's hardware table (DeviceInformation attestation hardware support note in
// vendor/apple-device-management/mdm/commands/information.device.yaml): iPhone/iPad A11 Bionic
// and later or M series, Apple-silicon Macs, Apple TV A12 and later, Apple Watch S4 and later,
// every Vision Pro. OS: iOS/iPadOS/tvOS 16, macOS 14, watchOS 10 (Attest in the ACME payload and
// DevicePropertiesAttestation are introduced there).

export type AttestPlatform = "iOS" | "macOS" | "tvOS" | "watchOS" | "visionOS";

export interface DeviceModel {
  /** Model identifier: "iPhone15,2", "iPad13,4", "Mac14,2", "MacBookPro18,3", "AppleTV11,1", "RealityDevice14,1". */
  product: string | null | undefined;
  /** "17.4" (check-in, DeviceInformation). */
  osVersion?: string | null;
  /** "21E236" (Profile Service VERSION, BuildVersion): its leading number is the Darwin major version. */
  buildVersion?: string | null;
}

export type AttestSupport = { ok: true; platform: AttestPlatform } | { ok: false; why: string };

// First generation that attests, per model family (the major number of the identifier).
const FIRST_ATTESTING: [RegExp, AttestPlatform, number][] = [
  [/^iPhone(\d+),\d+$/, "iOS", 10], // iPhone10,x: iPhone 8 / X, A11 Bionic
  [/^iPad(\d+),\d+$/, "iOS", 8], // iPad8,x: A12X; iPad7,x is A10/A10X
  [/^AppleTV(\d+),\d+$/, "tvOS", 11], // AppleTV11,1: A12; AppleTV6,2 is A10X
  [/^Watch(\d+),\d+$/, "watchOS", 4], // Watch4,x: S4
  [/^RealityDevice(\d+),\d+$/, "visionOS", 0],
  // Apple silicon Macs: Mac13,1 and later, and the M1 generation of the older families.
  [/^Mac(\d+),\d+$/, "macOS", 13],
  [/^MacBookPro(\d+),\d+$/, "macOS", 17],
  [/^MacBookAir(\d+),\d+$/, "macOS", 10],
  [/^Macmini(\d+),\d+$/, "macOS", 9],
  [/^iMac(\d+),\d+$/, "macOS", 21],
];

const MIN_OS: Record<AttestPlatform, number> = { iOS: 16, tvOS: 16, watchOS: 10, macOS: 14, visionOS: 1 };
// Darwin major version of the first OS release that attests (build "20A362" is iOS 16.0, "23A344" macOS 14.0).
const MIN_DARWIN: Record<AttestPlatform, number> = { iOS: 20, tvOS: 20, watchOS: 21, macOS: 23, visionOS: 21 };

export function attestSupport(m: DeviceModel): AttestSupport {
  const product = m.product?.trim() ?? "";
  if (!product) return { ok: false, why: "the model is unknown" };
  let platform: AttestPlatform | null = null;
  for (const [re, p, first] of FIRST_ATTESTING) {
    const match = re.exec(product);
    if (!match) continue;
    if (Number(match[1]) < first) return { ok: false, why: `${product} predates the chips that attest (${p === "macOS" ? "Intel Mac" : "A10X or earlier"})` };
    platform = p;
    break;
  }
  if (!platform) return { ok: false, why: `${product} is not a model that attests` };
  const os = m.osVersion ? /^(\d+)/.exec(m.osVersion.trim()) : null;
  if (os) {
    return Number(os[1]) >= MIN_OS[platform] ? { ok: true, platform } : { ok: false, why: `${platform} ${m.osVersion} is older than ${platform} ${MIN_OS[platform]}` };
  }
  const build = m.buildVersion ? /^(\d+)[A-Z]/.exec(m.buildVersion.trim()) : null;
  if (build) {
    return Number(build[1]) >= MIN_DARWIN[platform] ? { ok: true, platform } : { ok: false, why: `OS build ${m.buildVersion} is older than ${platform} ${MIN_OS[platform]}` };
  }
  return { ok: false, why: "the OS version is unknown" };
}
