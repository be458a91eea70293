// Next.js calls register() once when a server process starts: the periodic jobs
// (lib/jobs/scheduler.ts) run in the Node.js server only, never in the edge runtime or tests,
// and once per cluster: scripts/serve.mjs sets ENROLL_JOBS=0 on every worker but one.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.VITEST) return;
  if (process.env.ENROLL_JOBS === "0") return;
  const { startJobs } = await import("./lib/jobs/scheduler");
  startJobs();
}
