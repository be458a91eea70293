// Next.js calls register() once when a server process starts: the periodic jobs
// (lib/jobs/scheduler.ts) run in the Node.js server only, never in the edge runtime or tests.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.VITEST) return;
  const { startJobs } = await import("./lib/jobs/scheduler");
  startJobs();
}
