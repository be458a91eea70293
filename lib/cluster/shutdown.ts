// Work to finish before a server process exits on SIGTERM/SIGINT (scripts/serve.mjs runs
// it). On globalThis under a well-known symbol, because serve.mjs cannot import the copy of
// lib/ that Next.js bundles, and Next may load a module more than once per process.
const HOOKS = Symbol.for("openenroll.shutdownHooks");
type HookGlobal = typeof globalThis & { [HOOKS]?: Set<() => Promise<void>> };

/** Registers an async task run once at shutdown (each loaded copy of a module registers its own). */
export function onShutdown(hook: () => Promise<void>): void {
  const g = globalThis as HookGlobal;
  const hooks = g[HOOKS] ?? new Set();
  g[HOOKS] = hooks;
  hooks.add(hook);
}

/** Runs every registered task; failures are the tasks' own to log. */
export async function runShutdownHooks(): Promise<void> {
  const hooks = (globalThis as HookGlobal)[HOOKS];
  if (hooks) await Promise.allSettled([...hooks.values()].map((h) => h()));
}
