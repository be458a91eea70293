// Terms to accept before enrolling (per OTA token or account-driven routing rule): a small
// Markdown subset parsed into plain data that the page renders as React elements, so no
// text the admin typed ever becomes HTML (React escapes it). The version a person
// accepted is the SHA-256 of the exact text: editing the terms makes a new version.
import { z } from "zod";
import { sha256Hex } from "../secrets/hash";

export const MAX_TERMS_CHARS = 20_000;

/** Schema for the admin's input: trimmed, empty means none. */
export const termsInput = z
  .string()
  .max(MAX_TERMS_CHARS, `terms must be at most ${MAX_TERMS_CHARS} characters`)
  .transform((s) => s.replace(/\r\n?/g, "\n").trim());

export function termsVersion(text: string): string {
  return sha256Hex(text);
}

export type TermsInline = { text: string; bold?: boolean; italic?: boolean; code?: boolean; href?: string };
export type TermsBlock = { kind: "heading"; level: 1 | 2 | 3; inlines: TermsInline[] } | { kind: "paragraph"; inlines: TermsInline[] } | { kind: "list"; ordered: boolean; items: TermsInline[][] };

const SAFE_HREF = /^(https?:\/\/|mailto:)[^\s<>"]+$/i;

/** Inline markup: **bold**, *italic* / _italic_, `code`, [text](https://…). Anything else is text. */
export function parseInlines(line: string): TermsInline[] {
  const out: TermsInline[] = [];
  const re = /\*\*([^*]+)\*\*|\*([^*]+)\*|_([^_]+)_|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index > last) out.push({ text: line.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ text: m[1], bold: true });
    else if (m[2] !== undefined || m[3] !== undefined) out.push({ text: (m[2] ?? m[3])!, italic: true });
    else if (m[4] !== undefined) out.push({ text: m[4], code: true });
    else if (m[5] !== undefined) out.push(SAFE_HREF.test(m[6]!) ? { text: m[5], href: m[6] } : { text: m[0] });
    last = re.lastIndex;
  }
  if (last < line.length) out.push({ text: line.slice(last) });
  return out;
}

function joinLines(lines: string[]): TermsInline[] {
  return parseInlines(lines.join(" "));
}

/** Headings (#, ##, ###), bullet (-, *) and numbered (1.) lists, paragraphs separated by blank lines. */
export function parseTerms(text: string): TermsBlock[] {
  const blocks: TermsBlock[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: TermsInline[][] } | null = null;
  const flush = () => {
    if (para.length) blocks.push({ kind: "paragraph", inlines: joinLines(para) });
    para = [];
    if (list) blocks.push({ kind: "list", ...list });
    list = null;
  };
  for (const raw of text.slice(0, MAX_TERMS_CHARS).replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trim();
    if (!line) {
      flush();
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: "heading", level: heading[1].length as 1 | 2 | 3, inlines: parseInlines(heading[2]) });
      continue;
    }
    const bullet = /^[-*]\s+(.*)$/.exec(line);
    const numbered = /^\d{1,3}[.)]\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      const ordered = !!numbered;
      if (para.length || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push(parseInlines((bullet ?? numbered)![1]));
      continue;
    }
    if (list) flush();
    para.push(line);
  }
  flush();
  return blocks;
}

/** What a page needs to show terms and ask for their acceptance. */
export interface TermsToAccept {
  blocks: TermsBlock[];
  version: string;
}

export function termsToAccept(text: string | null | undefined): TermsToAccept | null {
  const t = (text ?? "").trim();
  return t ? { blocks: parseTerms(t), version: termsVersion(t) } : null;
}
