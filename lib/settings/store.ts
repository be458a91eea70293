// Server settings: one JSON value per key in the Setting table. Modules keep their own
// keys and validate what they read; this is only the storage.
import { db } from "../db/client";

/** The stored value, or undefined when the key was never written (JSON has no undefined). */
export async function readSetting(key: string): Promise<unknown> {
  const row = await db().setting.findUnique({ where: { key } });
  return row ? (JSON.parse(row.value) as unknown) : undefined;
}

export async function writeSetting(key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db().setting.upsert({ where: { key }, create: { key, value: json }, update: { value: json } });
}
