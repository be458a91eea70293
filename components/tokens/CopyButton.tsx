"use client";
import { useState } from "react";

/** Copies a value to the clipboard; falls back to selecting a prompt where the Clipboard API is unavailable (plain http). */
export function CopyButton({ value, label = "Copy URL" }: { value: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      window.prompt("Copy the enrollment URL:", value);
    }
  }
  return (
    <button type="button" onClick={copy} className="rounded-md border border-slate-300 px-2.5 py-1 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
      <span aria-live="polite">{copied ? "Copied" : label}</span>
    </button>
  );
}
