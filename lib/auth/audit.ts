import { db } from "../db/client";
import { log } from "../log/logger";

export async function audit(entry: { actor: string; action: string; target?: string | null; detail?: string | null; remoteAddr?: string | null }): Promise<void> {
  try {
    await db().auditLog.create({
      data: { actor: entry.actor, action: entry.action, target: entry.target ?? null, detail: entry.detail?.slice(0, 1000) ?? null, remoteAddr: entry.remoteAddr ?? null },
    });
  } catch (err) {
    log.error("could not write audit log", { err });
  }
}
