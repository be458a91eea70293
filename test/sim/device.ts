// A device simulator that enrolls and talks MDM like an iPhone (or a BYOD user
// enrollment): it signs every request with its identity certificate (Mdm-Signature,
// detached CMS over the exact body), sends Authenticate and TokenUpdate, polls the command
// endpoint and answers commands with plausible, schema-valid responses. It can start from
// an OTA enrollment URL (download profile → verify CMS → SCEP → MDM) or from an identity
// issued by a test. Plain TypeScript: usable from Vitest, Playwright and bench scripts.
import crypto from "node:crypto";
import { signData, verifySignedData } from "@/lib/pki/cms";
import { importSigningKey } from "@/lib/pki/keys";
import { buildPlist, isPlistDict, parsePlistStrict, type PlistDict, type PlistValue } from "@/lib/plist/plist";
import { scepEnroll as defaultScepEnroll } from "@/test/helpers/scepClient";

export interface SimIdentity {
  certDer: Uint8Array;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
}

export interface SimDeviceOptions {
  /** "device" sends UDID (OTA, ADDE); "user-enrollment" sends EnrollmentID (BYOD). */
  mode?: "device" | "user-enrollment";
  udid?: string;
  enrollmentId?: string;
  serialNumber?: string;
  productName?: string;
  model?: string;
  modelName?: string;
  deviceName?: string;
  osVersion?: string;
  buildVersion?: string;
  /** Account-driven enrollment: the access token sent as Authorization: Bearer (see bearerOnDeviceChannel). */
  bearer?: string | (() => string | null) | null;
  /**
   * Whether device-channel requests carry the access token: true on iOS, iPadOS and visionOS;
   * false on macOS, which sends it on user-channel requests only (Apple, "Onboarding users
   * with account sign-in"). Default true.
   */
  bearerOnDeviceChannel?: boolean;
  /** The macOS user whose user channel the simulator opens (UserID, or EnrollmentUserID in user enrollment). */
  user?: { id?: string; shortName?: string; longName?: string };
  /** Where check-ins and reports go (from the profile when enrolling OTA). */
  checkInUrl?: string;
  serverUrl?: string;
  topic?: string;
  /** Rewrites URLs from the profile (public URL) to where the test server listens. */
  rewriteUrl?: (url: string) => string;
  /** Reported as IsSupervised (default false: an OTA-enrolled iPhone is not supervised). */
  supervised?: boolean;
  /** Answer these request types with NotNow the first time they arrive. */
  notNowOnce?: string[];
  /** The SCEP client (default: test/helpers/scepClient.ts scepEnroll). */
  scepEnroll?: ScepEnrollFn;
  /**
   * Managed Device Attestation: the DevicePropertiesAttestation chain (DER, leaf first) for a
   * DeviceInformation that asks for it, given its DeviceAttestationNonce. Absent: the device
   * ignores the query, as unsupported hardware does.
   */
  attestation?: (nonce: Uint8Array | null) => Uint8Array[];
}

export type ScepEnrollFn = (req: { url: string; challenge: string; subject: string; keySize?: number }) => Promise<{ certDer: Uint8Array; privateKeyPem: string }>;

export interface SimHttpResult {
  status: number;
  headers: Headers;
  body: Uint8Array;
  text: string;
}

export interface HandledCommand {
  uuid: string;
  requestType: string;
  command: PlistDict;
  status: "Acknowledged" | "Error" | "NotNow";
  response: PlistDict;
}

export interface InstalledProfile {
  identifier: string;
  uuid: string;
  displayName: string;
  payloads: PlistDict[];
  managed: boolean;
}

const hex = (n: number) => crypto.randomBytes(n).toString("hex").toUpperCase();

const channelOf = (message: PlistDict): "device" | "user" => ("UserID" in message || "EnrollmentUserID" in message ? "user" : "device");

const SAFARI_IOS = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1";

export class SimDevice {
  readonly mode: "device" | "user-enrollment";
  readonly udid: string;
  readonly enrollmentId: string;
  readonly serialNumber: string;
  readonly productName: string;
  readonly model: string;
  readonly modelName: string;
  readonly deviceName: string;
  readonly osVersion: string;
  readonly buildVersion: string;
  readonly pushToken = crypto.randomBytes(32);
  readonly pushMagic = crypto.randomUUID().toUpperCase();
  readonly unlockToken = crypto.randomBytes(64);
  /** The user channel's own push credentials (macOS). */
  readonly userPushToken = crypto.randomBytes(32);
  readonly userPushMagic = crypto.randomUUID().toUpperCase();
  readonly user: { id: string; shortName: string; longName: string };
  checkInUrl: string;
  serverUrl: string;
  topic: string;
  identity: SimIdentity | null = null;
  private signingKey: CryptoKey | null = null;
  readonly installed: InstalledProfile[] = [];
  readonly handled: HandledCommand[] = [];
  private readonly notNowPending: Set<string>;

  constructor(private readonly opts: SimDeviceOptions = {}) {
    this.mode = opts.mode ?? "device";
    this.udid = opts.udid ?? `${hex(4)}-${hex(12)}`;
    this.enrollmentId = opts.enrollmentId ?? crypto.randomUUID().toUpperCase();
    this.serialNumber = opts.serialNumber ?? `F${hex(5)}Q1G`;
    this.productName = opts.productName ?? "iPhone16,1";
    this.model = opts.model ?? "MU663LL/A";
    this.modelName = opts.modelName ?? "iPhone";
    this.deviceName = opts.deviceName ?? "Test iPhone";
    this.osVersion = opts.osVersion ?? "18.2";
    this.buildVersion = opts.buildVersion ?? "22C152";
    this.checkInUrl = opts.checkInUrl ?? "";
    this.serverUrl = opts.serverUrl ?? "";
    this.topic = opts.topic ?? "";
    this.notNowPending = new Set(opts.notNowOnce ?? []);
    this.user = { id: opts.user?.id ?? crypto.randomUUID().toUpperCase(), shortName: opts.user?.shortName ?? "pat", longName: opts.user?.longName ?? "Pat Example" };
  }

  /** The keys that put a message on the user channel: UserID (device enrollment) or EnrollmentUserID (user enrollment). */
  get userIds(): PlistDict {
    return this.mode === "user-enrollment" ? { ...this.ids, EnrollmentUserID: this.user.id } : { ...this.ids, UserID: this.user.id };
  }

  /** The identifier keys every message carries. */
  get ids(): PlistDict {
    return this.mode === "user-enrollment" ? { EnrollmentID: this.enrollmentId } : { UDID: this.udid };
  }

  get identifier(): string {
    return this.mode === "user-enrollment" ? this.enrollmentId : this.udid;
  }

  async useIdentity(identity: SimIdentity): Promise<void> {
    this.identity = identity;
    this.signingKey = await importSigningKey(identity.privateKeyPem);
  }

  /** The Mdm-Signature header value for a body: base64 detached CMS SignedData. */
  async sign(body: Uint8Array, identity: SimIdentity | null = this.identity): Promise<string> {
    if (!identity) throw new Error("simulator has no identity certificate");
    const key = identity === this.identity && this.signingKey ? this.signingKey : await importSigningKey(identity.privateKeyPem);
    const cms = await signData(body, { certDer: identity.certDer, chainDer: [], privateKey: key }, { detached: true });
    return Buffer.from(cms).toString("base64");
  }

  private bearer(): string | null {
    const b = this.opts.bearer;
    return typeof b === "function" ? b() : (b ?? null);
  }

  /** Sends a raw body; `sign: false` sends it unsigned, `signature` overrides the header. */
  async put(url: string, body: Uint8Array, opts: { contentType: string; sign?: boolean; signature?: string; headers?: Record<string, string>; channel?: "device" | "user" }): Promise<SimHttpResult> {
    const headers: Record<string, string> = { "content-type": opts.contentType, ...(opts.headers ?? {}) };
    const sig = opts.signature ?? (opts.sign === false ? null : await this.sign(body));
    if (sig) headers["mdm-signature"] = sig;
    const bearer = this.bearer();
    if (bearer && (opts.channel === "user" || this.opts.bearerOnDeviceChannel !== false)) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(url, { method: "PUT", headers, body: Buffer.from(body) });
    const buf = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body: buf, text: new TextDecoder().decode(buf) };
  }

  /** Sends a check-in message; one naming UserID or EnrollmentUserID travels on the user channel. */
  async checkin(message: PlistDict, opts: { sign?: boolean; signature?: string } = {}): Promise<SimHttpResult> {
    const body = new TextEncoder().encode(buildPlist(message));
    return this.put(this.checkInUrl, body, { contentType: "application/x-apple-aspen-mdm-checkin", channel: channelOf(message), ...opts });
  }

  authenticateMessage(): PlistDict {
    const m: PlistDict = {
      MessageType: "Authenticate",
      Topic: this.topic,
      ...this.ids,
      DeviceName: this.deviceName,
      Model: this.model,
      ModelName: this.modelName,
      ProductName: this.productName,
      OSVersion: this.osVersion,
      BuildVersion: this.buildVersion,
    };
    if (this.mode === "device") m.SerialNumber = this.serialNumber;
    return m;
  }

  tokenUpdateMessage(): PlistDict {
    const m: PlistDict = { MessageType: "TokenUpdate", Topic: this.topic, ...this.ids, Token: new Uint8Array(this.pushToken), PushMagic: this.pushMagic };
    if (this.mode === "device") m.UnlockToken = new Uint8Array(this.unlockToken);
    return m;
  }

  async authenticate(): Promise<SimHttpResult> {
    return this.checkin(this.authenticateMessage());
  }

  async tokenUpdate(): Promise<SimHttpResult> {
    return this.checkin(this.tokenUpdateMessage());
  }

  async checkOut(): Promise<SimHttpResult> {
    return this.checkin({ MessageType: "CheckOut", Topic: this.topic, ...this.ids });
  }

  // ---------------------------------------------------------------- macOS user channel

  /** UserAuthenticate (device enrollment only): without DigestResponse first, with it second. */
  async userAuthenticate(digestResponse?: string): Promise<SimHttpResult> {
    return this.checkin({ MessageType: "UserAuthenticate", ...this.userIds, ...(digestResponse ? { DigestResponse: digestResponse } : {}) });
  }

  userTokenUpdateMessage(): PlistDict {
    const names: PlistDict = this.mode === "user-enrollment" ? { UserLongName: this.user.longName } : { UserShortName: this.user.shortName, UserLongName: this.user.longName };
    return { MessageType: "TokenUpdate", Topic: this.topic, ...this.userIds, ...names, NotOnConsole: false, Token: new Uint8Array(this.userPushToken), PushMagic: this.userPushMagic };
  }

  async userTokenUpdate(): Promise<SimHttpResult> {
    return this.checkin(this.userTokenUpdateMessage());
  }

  /** A command report on the user channel. */
  async userReport(report: PlistDict): Promise<SimHttpResult> {
    const body = new TextEncoder().encode(buildPlist({ ...this.userIds, ...report }));
    return this.put(this.serverUrl, body, { contentType: "application/x-apple-aspen-mdm", channel: "user" });
  }

  /** Sends a command report (Idle or a result) and returns the server's answer. */
  async report(report: PlistDict, opts: { sign?: boolean; signature?: string } = {}): Promise<SimHttpResult & { command: PlistDict | null }> {
    const body = new TextEncoder().encode(buildPlist({ ...this.ids, ...report }));
    const r = await this.put(this.serverUrl, body, { contentType: "application/x-apple-aspen-mdm", channel: channelOf(report), ...opts });
    let command: PlistDict | null = null;
    if (r.status === 200 && r.body.byteLength > 0) {
      const parsed = parsePlistStrict(r.body);
      if (isPlistDict(parsed)) command = parsed;
    }
    return { ...r, command };
  }

  /**
   * Polls until the server has nothing more: Idle, then answers each command. Returns the
   * commands handled in this session. Throws on a non-200 answer.
   */
  async pollCommands(maxCommands = 100): Promise<HandledCommand[]> {
    const session: HandledCommand[] = [];
    let r = await this.report({ Status: "Idle" });
    while (r.command) {
      if (session.length >= maxCommands) throw new Error(`more than ${maxCommands} commands in one session`);
      const h = await this.execute(r.command);
      session.push(h);
      this.handled.push(h);
      r = await this.report({ Status: h.status, CommandUUID: h.uuid, ...h.response });
    }
    if (r.status !== 200) throw new Error(`command endpoint answered ${r.status}: ${r.text}`);
    return session;
  }

  /** Runs one command the way a device would and builds its answer. */
  async execute(envelope: PlistDict): Promise<HandledCommand> {
    const uuid = String(envelope.CommandUUID);
    const command = (envelope.Command ?? {}) as PlistDict;
    const requestType = String(command.RequestType);
    const done = (status: HandledCommand["status"], response: PlistDict = {}): HandledCommand => ({ uuid, requestType, command, status, response });
    if (this.notNowPending.delete(requestType)) return done("NotNow");
    switch (requestType) {
      case "DeviceInformation": {
        const queries = (command.Queries as string[]) ?? [];
        const answer = this.deviceInformation(queries);
        if (queries.includes("DevicePropertiesAttestation") && this.opts.attestation) {
          const nonce = command.DeviceAttestationNonce instanceof Uint8Array ? command.DeviceAttestationNonce : null;
          answer.DevicePropertiesAttestation = this.opts.attestation(nonce);
        }
        return done("Acknowledged", { QueryResponses: answer });
      }
      case "ProfileList":
        return done("Acknowledged", { ProfileList: this.installed.map((p) => this.profileListItem(p)) });
      case "SecurityInfo":
        return done("Acknowledged", {
          SecurityInfo: {
            HardwareEncryptionCaps: 3,
            PasscodePresent: true,
            PasscodeCompliant: true,
            PasscodeCompliantWithProfiles: true,
            PasscodeLockGracePeriodEnforced: 0,
            ManagementStatus: { EnrolledViaDEP: false, UserApprovedEnrollment: true, IsUserEnrollment: this.mode === "user-enrollment" },
          },
        });
      case "InstalledApplicationList":
        return done("Acknowledged", {
          InstalledApplicationList: [
            { Identifier: "com.apple.Pages", Name: "Pages", ShortVersion: "14.2", Version: "7034", BundleSize: 512_000_000, IsValidated: true },
            { Identifier: "com.example.app", Name: "Example", ShortVersion: "1.0", Version: "1", BundleSize: 12_000_000, IsValidated: true },
          ],
        });
      case "InstallProfile": {
        try {
          const bytes = command.Payload as Uint8Array;
          const content = bytes[0] === 0x30 ? (await verifySignedData(bytes)).content : bytes;
          const top = parsePlistStrict(content);
          const payloads = isPlistDict(top) && Array.isArray(top.PayloadContent) ? (top.PayloadContent.filter(isPlistDict) as PlistDict[]) : [];
          // An updated enrollment profile (identity renewal): like iOS, get the new identity by SCEP first, then sign with it.
          if (payloads.some((p) => p.PayloadType === "com.apple.mdm")) await this.replaceEnrollment(top as PlistDict, payloads);
          await this.installAsync(bytes, true);
          return done("Acknowledged");
        } catch (err) {
          return done("Error", { ErrorChain: [{ ErrorCode: 4001, ErrorDomain: "MCProfileErrorDomain", LocalizedDescription: `The profile could not be installed: ${(err as Error).message}` }] });
        }
      }
      case "RemoveProfile": {
        const i = this.installed.findIndex((p) => p.identifier === command.Identifier);
        if (i < 0) return done("Error", { ErrorChain: [{ ErrorCode: 1001, ErrorDomain: "MCProfileErrorDomain", LocalizedDescription: "The profile is not installed." }] });
        this.installed.splice(i, 1);
        return done("Acknowledged");
      }
      case "DeviceLock":
      case "EraseDevice":
      case "RestartDevice":
      case "ShutDownDevice":
      case "EnableLostMode":
      case "DisableLostMode":
      case "DeviceLocation":
      case "Settings":
        return done("Acknowledged");
      case "ClearPasscode": {
        // Like iOS: only the unlock token this device escrowed clears its passcode.
        const token = command.UnlockToken;
        if (token instanceof Uint8Array && Buffer.from(token).equals(Buffer.from(this.unlockToken))) return done("Acknowledged");
        return done("Error", { ErrorChain: [{ ErrorCode: 12022, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: "The unlock token is not valid." }] });
      }
      default:
        return done("Error", { ErrorChain: [{ ErrorCode: 12021, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: `Unsupported command ${requestType}` }] });
    }
  }

  /**
   * What iOS checks before replacing the installed MDM profile: same top-level and MDM
   * PayloadIdentifier, ServerURL, CheckInURL and Topic, no AccessRights beyond the installed
   * ones. Then it runs SCEP with the new payload and uses the new identity.
   */
  private async replaceEnrollment(top: PlistDict, payloads: PlistDict[]): Promise<void> {
    const mdm = payloads.find((p) => p.PayloadType === "com.apple.mdm")!;
    const installed = this.installed.find((p) => p.payloads.some((x) => x.PayloadType === "com.apple.mdm"));
    const old = installed?.payloads.find((x) => x.PayloadType === "com.apple.mdm");
    if (!installed || !old) throw new Error("no MDM profile is installed to replace");
    if (top.PayloadIdentifier !== installed.identifier) throw new Error(`a second MDM profile (${String(top.PayloadIdentifier)}) cannot be installed next to ${installed.identifier}`);
    for (const k of ["PayloadIdentifier", "ServerURL", "CheckInURL", "Topic"]) {
      if (mdm[k] !== old[k]) throw new Error(`the replacement MDM payload changes ${k}`);
    }
    const rights = (v: unknown) => (typeof v === "number" ? v : 0);
    if (rights(mdm.AccessRights) & ~rights(old.AccessRights)) throw new Error("the replacement MDM payload grants more AccessRights");
    const scep = payloads.find((p) => p.PayloadType === "com.apple.security.scep" && p.PayloadUUID === mdm.IdentityCertificateUUID);
    if (!scep) throw new Error("the replacement MDM payload has no SCEP identity");
    const c = scep.PayloadContent as PlistDict;
    const rewrite = this.opts.rewriteUrl ?? ((u: string) => u);
    const subject = (c.Subject as string[][][] | undefined) ?? [];
    const issued = await (this.opts.scepEnroll ?? defaultScepEnroll)({
      url: rewrite(String(c.URL)),
      challenge: String(c.Challenge ?? ""),
      subject: subject.map((rdn) => rdn.map(([k, v]) => `${k}=${String(v)}`).join("+")).join(",") || `CN=${this.udid}`,
      keySize: typeof c.Keysize === "number" ? c.Keysize : 2048,
    });
    await this.useIdentity({ certDer: issued.certDer, privateKeyPem: issued.privateKeyPem });
  }

  /** Installs profile bytes (signed: the signature must verify) the way the device would, keeping it for ProfileList. */
  async installAsync(bytes: Uint8Array, managed: boolean): Promise<InstalledProfile> {
    const content = bytes[0] === 0x30 ? (await verifySignedData(bytes)).content : bytes;
    return this.record(parsePlistStrict(content), managed);
  }

  private record(top: PlistValue, managed: boolean): InstalledProfile {
    if (!isPlistDict(top) || typeof top.PayloadIdentifier !== "string") throw new Error("not a configuration profile");
    const p: InstalledProfile = {
      identifier: top.PayloadIdentifier,
      uuid: String(top.PayloadUUID),
      displayName: String(top.PayloadDisplayName ?? top.PayloadIdentifier),
      payloads: Array.isArray(top.PayloadContent) ? (top.PayloadContent.filter(isPlistDict) as PlistDict[]) : [],
      managed,
    };
    const i = this.installed.findIndex((x) => x.identifier === p.identifier);
    if (i >= 0) this.installed.splice(i, 1, p);
    else this.installed.push(p);
    return p;
  }

  private profileListItem(p: InstalledProfile): PlistDict {
    return {
      PayloadIdentifier: p.identifier,
      PayloadUUID: p.uuid,
      PayloadDisplayName: p.displayName,
      PayloadVersion: 1,
      IsManaged: p.managed,
      IsEncrypted: false,
      HasRemovalPasscode: false,
      PayloadRemovalDisallowed: false,
      PayloadContent: p.payloads.map((x) => ({
        PayloadType: String(x.PayloadType),
        PayloadVersion: typeof x.PayloadVersion === "number" ? x.PayloadVersion : 1,
        PayloadIdentifier: String(x.PayloadIdentifier),
        PayloadUUID: String(x.PayloadUUID),
        ...(typeof x.PayloadDisplayName === "string" ? { PayloadDisplayName: x.PayloadDisplayName } : {}),
      })),
    };
  }

  private deviceInformation(queries: string[]): PlistDict {
    const all: PlistDict = {
      DeviceName: this.deviceName,
      OSVersion: this.osVersion,
      BuildVersion: this.buildVersion,
      ModelName: this.modelName,
      Model: this.model,
      ProductName: this.productName,
      SerialNumber: this.serialNumber,
      UDID: this.udid,
      DeviceCapacity: 128.5,
      AvailableDeviceCapacity: 64.25,
      BatteryLevel: 0.85,
      IsSupervised: this.opts.supervised === true,
      IsActivationLockEnabled: false,
      WiFiMAC: "a4:83:e7:12:34:56",
      BluetoothMAC: "a4:83:e7:12:34:57",
    };
    if (this.mode === "user-enrollment") {
      // User enrollment does not reveal hardware identifiers.
      for (const k of ["SerialNumber", "UDID", "WiFiMAC", "BluetoothMAC"]) delete all[k];
    }
    const out: PlistDict = {};
    for (const q of queries) if (q in all) out[q] = all[q];
    return out;
  }

  /** Authenticate, TokenUpdate, then poll until the queue is empty. */
  async enrollMdm(): Promise<HandledCommand[]> {
    const a = await this.authenticate();
    if (a.status !== 200) throw new Error(`Authenticate answered ${a.status}: ${a.text}`);
    const t = await this.tokenUpdate();
    if (t.status !== 200) throw new Error(`TokenUpdate answered ${t.status}: ${t.text}`);
    return this.pollCommands();
  }

  // ---------------------------------------------------------------- OTA enrollment

  /**
   * Enrolls from an OTA enrollment URL like an iPhone: downloads the profile the way the
   * enroll page's button does (POST of the token to /enroll/profile), verifies and unwraps
   * its CMS signature, reads the SCEP and MDM payloads, gets an identity certificate by
   * SCEP, installs the profile, then runs the MDM enrollment. Returns the profile and the
   * commands handled in the first session.
   */
  async enrollOta(enrollUrl: string): Promise<{ profile: PlistDict; commands: HandledCommand[] }> {
    const profile = await this.installOtaProfile(enrollUrl);
    const commands = await this.enrollMdm();
    return { profile, commands };
  }

  /** The first half of enrollOta: profile download and verification, SCEP, install; no MDM message yet. */
  async installOtaProfile(enrollUrl: string): Promise<PlistDict> {
    return this.installDownloadedProfile(await this.downloadProfile(enrollUrl));
  }

  /** Verifies and installs an enrollment profile downloaded elsewhere (a browser's download): SCEP, install; no MDM message yet. */
  async installDownloadedProfile(profileBytes: Uint8Array): Promise<PlistDict> {
    const signed = profileBytes[0] === 0x30;
    if (!signed) throw new Error("the enrollment profile is not signed");
    const { content } = await verifySignedData(profileBytes);
    const profile = parsePlistStrict(content);
    if (!isPlistDict(profile) || !Array.isArray(profile.PayloadContent)) throw new Error("enrollment profile is not a configuration profile");
    const payloads = profile.PayloadContent.filter(isPlistDict) as PlistDict[];
    const mdm = payloads.find((p) => p.PayloadType === "com.apple.mdm");
    const scep = payloads.find((p) => p.PayloadType === "com.apple.security.scep");
    if (!mdm) throw new Error("no com.apple.mdm payload");
    if (!scep) throw new Error("no com.apple.security.scep payload");
    if (mdm.IdentityCertificateUUID !== scep.PayloadUUID) throw new Error("MDM payload does not use the SCEP identity");
    if (mdm.SignMessage !== true) throw new Error("MDM payload does not ask for signed messages");
    const rewrite = this.opts.rewriteUrl ?? ((u: string) => u);
    this.serverUrl = rewrite(String(mdm.ServerURL));
    this.checkInUrl = rewrite(String(mdm.CheckInURL ?? mdm.ServerURL));
    this.topic = String(mdm.Topic);
    const content2 = scep.PayloadContent as PlistDict;
    const subject = (content2.Subject as string[][][] | undefined) ?? [];
    const subjectString = subject.map((rdn) => rdn.map(([k, v]) => `${k}=${String(v).replace(/\$UDID/g, this.udid)}`).join("+")).join(",");
    const scepEnroll = this.opts.scepEnroll ?? defaultScepEnroll;
    const issued = await scepEnroll({
      url: rewrite(String(content2.URL)),
      challenge: String(content2.Challenge ?? ""),
      subject: subjectString || `CN=${this.udid}`,
      keySize: typeof content2.Keysize === "number" ? content2.Keysize : 2048,
    });
    await this.useIdentity({ certDer: issued.certDer, privateKeyPem: issued.privateKeyPem });
    await this.installAsync(profileBytes, false);
    return profile;
  }

  /** Submits the enroll page's download form: POST token=… to /enroll/profile. */
  /** A short link (/e/<id>) carries no token: open the page as Safari would and read its form's hidden field. */
  private async tokenFromEnrollPage(page: URL): Promise<string | null> {
    const res = await fetch(page, { headers: { "user-agent": SAFARI_IOS } });
    const html = await res.text();
    if (res.status !== 200) throw new Error(`the enroll page answered ${res.status}: ${html.slice(0, 200)}`);
    const value = /<input type="hidden" name="token" value="([^"]*)">/.exec(html)?.[1];
    return value
      ? value
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">")
          .replace(/&amp;/g, "&")
      : null;
  }

  async downloadProfile(enrollUrl: string): Promise<Uint8Array> {
    const rewrite = this.opts.rewriteUrl ?? ((u: string) => u);
    const page = new URL(rewrite(enrollUrl));
    const token = page.searchParams.get("token") ?? (await this.tokenFromEnrollPage(page));
    if (!token) throw new Error("the enrollment URL carries no token");
    const res = await fetch(new URL("/enroll/profile", page), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": SAFARI_IOS },
      body: new URLSearchParams({ token }).toString(),
    });
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`profile download answered ${res.status}: ${new TextDecoder().decode(body).slice(0, 200)}`);
    if (!(res.headers.get("content-type") ?? "").includes("application/x-apple-aspen-config")) throw new Error(`unexpected profile content type ${res.headers.get("content-type")}`);
    return body;
  }
}
