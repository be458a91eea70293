// End-user strings in the device's language. One JSON catalogue per language in
// lib/i18n/catalogs/<lang>.json: adding a file adds a language, no code change. English is
// the reference: a key missing from another catalogue falls back to it.
import fs from "node:fs";
import path from "node:path";

export type Catalog = Record<string, string>;
export type Translate = (key: string, vars?: Record<string, string>) => string;

export const DEFAULT_LOCALE = "en";
const MAX_ACCEPT_LANGUAGE = 512;

/** Where the catalogues live; the server runs from the project root (scripts/start.ts). */
export function catalogDir(): string {
  return path.join(process.cwd(), "lib", "i18n", "catalogs");
}

let cache: Map<string, Catalog> | null = null;

function isCatalog(v: unknown): v is Catalog {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");
}

/** All catalogues by language tag (lower case), read once. */
export function catalogs(): Map<string, Catalog> {
  if (cache) return cache;
  const found = new Map<string, Catalog>();
  for (const file of fs.readdirSync(catalogDir())) {
    const m = /^([a-z]{2,3}(?:-[a-z0-9]{2,8})?)\.json$/i.exec(file);
    if (!m) continue;
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(catalogDir(), file), "utf8"));
    if (!isCatalog(parsed)) throw new Error(`lib/i18n/catalogs/${file}: expected an object of strings`);
    found.set(m[1].toLowerCase(), parsed);
  }
  if (!found.has(DEFAULT_LOCALE)) throw new Error("lib/i18n/catalogs/en.json is missing");
  cache = found;
  return found;
}

export function availableLocales(): string[] {
  return [...catalogs().keys()].sort();
}

/**
 * The best catalogue for an Accept-Language header (RFC 9110 §12.5.4): highest q first, an
 * exact tag before its primary language ("de-CH" → "de"); English when nothing matches.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): string {
  const have = catalogs();
  const ranges = (acceptLanguage ?? "")
    .slice(0, MAX_ACCEPT_LANGUAGE)
    .split(",")
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q[1]) : 1, i };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranges) {
    if (have.has(tag)) return tag;
    const primary = tag.split("-")[0];
    if (have.has(primary)) return primary;
  }
  return DEFAULT_LOCALE;
}

/** Whether the English reference catalogue has this key (so every language can show it). */
export function hasMessage(key: string): boolean {
  return Object.hasOwn(catalogs().get(DEFAULT_LOCALE)!, key);
}

/** A translator for one language: {name} placeholders are filled from vars. */
export function translator(locale: string): Translate {
  const all = catalogs();
  const cat = all.get(locale) ?? all.get(DEFAULT_LOCALE)!;
  const en = all.get(DEFAULT_LOCALE)!;
  return (key, vars = {}) => {
    const template = cat[key] ?? en[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? vars[name] : whole));
  };
}
