// Status pills. Text carries the meaning; colour only reinforces it.
const TONES = {
  green: "bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-200",
  blue: "bg-blue-100 text-blue-900 dark:bg-blue-950 dark:text-blue-200",
  amber: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
  red: "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200",
  slate: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
} as const;
export type Tone = keyof typeof TONES;

export function Badge({ tone, children }: { tone: Tone; children: React.ReactNode }) {
  return <span className={`inline-block whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ${TONES[tone]}`}>{children}</span>;
}

const DEVICE: Record<string, [Tone, string]> = {
  MANAGED: ["green", "Managed"],
  ENROLLED: ["blue", "Enrolled"],
  PENDING: ["amber", "Pending"],
  UNENROLLED: ["slate", "Unenrolled"],
};
export function DeviceStatusBadge({ status }: { status: string }) {
  const [tone, text] = DEVICE[status] ?? ["slate", status];
  return <Badge tone={tone}>{text}</Badge>;
}

const OUTCOME: Record<string, [Tone, string]> = { OK: ["green", "OK"], WARNING: ["amber", "Warning"], ERROR: ["red", "Error"] };
export function OutcomeBadge({ outcome }: { outcome: string }) {
  const [tone, text] = OUTCOME[outcome] ?? ["slate", outcome];
  return <Badge tone={tone}>{text}</Badge>;
}

const COMMAND: Record<string, [Tone, string]> = {
  QUEUED: ["slate", "Queued"],
  SENT: ["blue", "Sent"],
  ACKNOWLEDGED: ["green", "Acknowledged"],
  ERROR: ["red", "Error"],
  NOT_NOW: ["amber", "Not now"],
  FORMAT_ERROR: ["red", "Format error"],
};
export function CommandStatusBadge({ status }: { status: string }) {
  const [tone, text] = COMMAND[status] ?? ["slate", status];
  return <Badge tone={tone}>{text}</Badge>;
}
