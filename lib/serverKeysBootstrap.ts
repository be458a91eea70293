// Creates the server's keys on first start. Each domain owns its key; this only calls them.
export async function ensureServerKeys(): Promise<void> {
  const steps: Array<() => Promise<unknown>> = [];
  try {
    const ca = await import("./pki/ca");
    steps.push(() => ca.getCa());
  } catch {
    /* PKI module not present in this build */
  }
  for (const step of steps) await step();
}
