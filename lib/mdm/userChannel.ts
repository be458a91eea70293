// The MDM user channel (macOS): a logged-in user's own connection to the server, next to
// the device channel. It opens with UserAuthenticate (network and mobile accounts) and the
// user-channel TokenUpdate, which carries the user's push token; both name the user by
// UserID (device enrollment) or EnrollmentUserID (user enrollment). Each user channel is a
// UserChannel row tied to the device. The server declines (HTTP 410, as Apple prescribes)
// user channels it does not manage: on devices that are not Macs, or that checked out.
import type { Device, UserChannel } from "../db/generated/sqlite/client";
import { db, isUniqueViolation } from "../db/client";
import { writeEnrollmentLog } from "../log/enrollmentLog";
import { EMPTY_OK, errorStatus, plistResponse, type MdmRequest, type MdmResponse } from "./mdmRequest";
import { MdmAuthError } from "./identity";
import { buildPlist, type PlistDict } from "../plist/plist";

const LAST_SEEN_RESOLUTION_MS = 60_000;

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v.slice(0, 256) : null);

/** Why the server declines this device's user channels, or null when it manages them. */
export function userChannelDeclined(device: Pick<Device, "platform" | "status">): string | null {
  if (device.status === "UNENROLLED") return "the device has checked out";
  // Apple defines user channels for macOS (and Shared iPad, which this server does not support).
  if (device.platform !== "macOS") return `this server manages user channels on Macs only (the device is ${device.platform ?? "of unknown platform"})`;
  return null;
}

interface UserChannelMessage {
  req: MdmRequest;
  device: Device;
  dict: PlistDict;
  userChannelId: string;
  tokenId: string | null;
}

async function log(m: UserChannelMessage, outcome: "OK" | "WARNING", message: string, reason: "user_channel_declined" | null = null): Promise<void> {
  await writeEnrollmentLog({ step: "checkin", outcome, reason, message, deviceIdentifier: m.device.identifier, tokenId: m.tokenId, remoteAddr: m.req.remoteAddr });
}

async function declined(m: UserChannelMessage, type: string): Promise<MdmResponse | null> {
  const why = userChannelDeclined(m.device);
  if (!why) return null;
  await log(m, "WARNING", `${type} on the user channel of ${m.userChannelId} declined (410): ${why}`, "user_channel_declined");
  return errorStatus(410, "Gone");
}

async function upsertChannel(
  deviceId: string,
  userChannelId: string,
  data: Partial<Pick<UserChannel, "userShortName" | "userLongName" | "pushToken" | "pushMagic" | "topic" | "authenticatedAt" | "lastSeenAt">>,
): Promise<UserChannel> {
  const upsert = () => db().userChannel.upsert({ where: { deviceId_userChannelId: { deviceId, userChannelId } }, create: { deviceId, userChannelId, ...data }, update: data });
  // Two simultaneous first messages race on the unique key; the loser updates.
  return upsert().catch((err: unknown) => (isUniqueViolation(err) ? upsert() : Promise.reject(err)));
}

/**
 * UserAuthenticate (Apple, "User Authenticate"): the first request (no DigestResponse) gets
 * 200 with a zero-length DigestChallenge, which tells the Mac that no AuthToken is needed:
 * the user is authenticated by the account sign-in (the access token on the user channel)
 * or is the Mac's own user. A second request with a DigestResponse, which only follows a
 * non-empty challenge this server never sends, gets an empty 200.
 */
export async function userAuthenticate(m: UserChannelMessage): Promise<MdmResponse> {
  const refused = await declined(m, "UserAuthenticate");
  if (refused) return refused;
  const digest = m.dict.DigestResponse;
  if (typeof digest === "string" && digest !== "") {
    await log(m, "WARNING", `UserAuthenticate from ${m.userChannelId} carried a DigestResponse although no digest was asked for; answered with an empty 200`);
    return EMPTY_OK;
  }
  await upsertChannel(m.device.id, m.userChannelId, { authenticatedAt: new Date(), lastSeenAt: new Date() });
  await log(m, "OK", `UserAuthenticate: user channel of ${m.userChannelId} accepted (no digest needed)`);
  return plistResponse(buildPlist({ DigestChallenge: "" }));
}

/** The user channel's TokenUpdate: its push credentials and the user's names. */
export async function userTokenUpdate(m: UserChannelMessage): Promise<MdmResponse> {
  const refused = await declined(m, "TokenUpdate");
  if (refused) return refused;
  const token = m.dict.Token as Uint8Array;
  const shortName = str(m.dict.UserShortName);
  const longName = str(m.dict.UserLongName);
  await upsertChannel(m.device.id, m.userChannelId, {
    pushToken: Buffer.from(token).toString("hex"),
    pushMagic: m.dict.PushMagic as string,
    topic: m.dict.Topic as string,
    ...(shortName ? { userShortName: shortName } : {}),
    ...(longName ? { userLongName: longName } : {}),
    lastSeenAt: new Date(),
  });
  await log(m, "OK", `TokenUpdate on the user channel of ${shortName ?? m.userChannelId}${shortName ? ` (${m.userChannelId})` : ""}: push token stored`);
  return EMPTY_OK;
}

/**
 * A command poll on a user channel: it must have been opened (UserAuthenticate or
 * TokenUpdate) and not declined. There is no user-channel command queue, so the answer is
 * an empty 200; a result for a command never sent on this channel is logged and dropped.
 */
export async function userChannelPoll(m: UserChannelMessage, status: string): Promise<MdmResponse> {
  const why = userChannelDeclined(m.device);
  if (why) throw new MdmAuthError("user_channel_declined", `command poll on the user channel of ${m.userChannelId}: ${why}`);
  const channel = await db().userChannel.findUnique({ where: { deviceId_userChannelId: { deviceId: m.device.id, userChannelId: m.userChannelId } } });
  if (!channel) throw new MdmAuthError("user_channel_unknown", `command poll on the user channel of ${m.userChannelId}, which never sent UserAuthenticate or TokenUpdate`);
  if (!channel.lastSeenAt || Date.now() - channel.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await db().userChannel.update({ where: { id: channel.id }, data: { lastSeenAt: new Date() } });
  }
  if (status !== "Idle")
    await log(
      m,
      "WARNING",
      `user channel of ${channel.userShortName ?? m.userChannelId} reported ${status} for ${String(m.dict.CommandUUID ?? "no command").slice(0, 64)}, which was never sent on this channel`,
    );
  return EMPTY_OK;
}
