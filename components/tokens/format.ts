// Dates in the portal: UTC, minute precision, so every admin reads the same instant.
export function formatExpiry(d: Date | null): string {
  if (!d) return "Never";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
