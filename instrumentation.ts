// Next.js calls register() once when a server process starts (each worker of the cluster):
// Apple's schemas are parsed before the first device message needs them; the periodic jobs
// (lib/jobs/scheduler.ts) run in the Node.js server only, never in the edge runtime or tests,
// and once per cluster: scripts/serve.mjs sets ENROLL_JOBS=0 on every worker but one.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.VITEST) return;
  const { preloadAppleSchemas } = await import("./lib/profiles/appleSchema");
  try {
    preloadAppleSchemas();
  } catch (err) {
    // Not fatal here: the first message that needs a schema reports the missing folder.
    const { log } = await import("./lib/log/logger");
    log.warn("Apple's schemas could not be preloaded", { err });
  }
  if (process.env.ENROLL_JOBS === "0") return;
  const { startJobs } = await import("./lib/jobs/scheduler");
  startJobs();
}
