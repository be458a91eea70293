// The fuzz suite over the public endpoints (issue 18): seeded and reproducible, FUZZ_RUNS
// inputs in all (default 100,000) shared out by FUZZ_PLAN's weights, each sent to the route
// handler in this process as Next.js would. Fails on any 5xx, a hang (> 5 s for one input) or a
// thrown error, printing the seed and the input. Reproduce with FUZZ_SEED=<seed> and the same
// FUZZ_RUNS; FUZZ_SEED=random explores new inputs, FUZZ_RUNS=1000000 goes deeper, FUZZ_SHRINK=1
// shrinks a failing input. Two test files (device protocols, web enrollment) call
// defineFuzzSuite, so Vitest runs the halves in parallel.
import crypto from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { type EndpointName, FUZZ_PLAN, type FuzzEndpoint, publicEndpoints, runsFor } from "./endpoints";
import { describeInput, fuzzSettings, HangError, invoke, type Outcome, routeModule } from "./harness";
import { makeSeeds } from "./seeds";

// The one change to the code under test: scrypt's cost. Passwords (NDES, local users) are
// stored with N=16 instead of 2^15 and verified with the parameters stored beside them, as in
// production, so a wrong password costs microseconds instead of ~100 ms of one core.
vi.mock("@/lib/secrets/hash", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/lib/secrets/hash")>();
  const cheapHash = async (password: string) => {
    const salt = crypto.randomBytes(16);
    const key = crypto.scryptSync(password, salt, 32, { N: 16, r: 1, p: 1 });
    return `scrypt$16$1$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
  };
  return {
    ...real,
    hashPassword: cheapHash,
    // Unknown users burn a hash of the same cost as a known one's check.
    verifyPassword: async (password: string, stored: string | null | undefined) => {
      if ((stored ?? "").split("$").length === 6) return real.verifyPassword(password, stored);
      await cheapHash(password);
      return false;
    },
  };
});

export function defineFuzzSuite(part: "device" | "web"): void {
  const { seed, runs } = fuzzSettings();
  const names = (Object.keys(FUZZ_PLAN) as EndpointName[]).filter((n) => FUZZ_PLAN[n].part === part);
  let t: TestDb;
  let endpoints = new Map<EndpointName, FuzzEndpoint>();
  const tally = new Map<string, Map<string, number>>();
  const cpuMs = new Map<string, number>();
  const started = Date.now();

  beforeAll(async () => {
    t = await createTestDb();
    const seeds = await makeSeeds(await routeModule(import("@/app/scep/[id]/route")), await routeModule(import("@/app/mdm/checkin/route")), await routeModule(import("@/app/acme/[...path]/route")));
    endpoints = new Map((await publicEndpoints(seeds)).map((e) => [e.name, e]));
  }, 120_000);

  afterAll(async () => {
    const total = [...tally.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
    const cpu = [...cpuMs.values()].reduce((a, b) => a + b, 0) / 1000;
    // The figures CI keeps: inputs, time, and which answers each endpoint gave.
    process.stdout.write(`\nfuzz (${part}): ${total} inputs in ${((Date.now() - started) / 1000).toFixed(1)} s, ${cpu.toFixed(1)} s CPU fuzzing (FUZZ_SEED=${seed} FUZZ_RUNS=${runs})\n`);
    for (const [name, statuses] of tally) {
      const n = [...statuses.values()].reduce((a, b) => a + b, 0);
      process.stdout.write(
        `  ${name} (${((cpuMs.get(name) ?? 0) / Math.max(1, n)).toFixed(2)} ms CPU each): ${[...statuses]
          .sort()
          .map(([k, v]) => `${k}×${v}`)
          .join(" ")}\n`,
      );
    }
    await t?.close();
  });

  describe(`fuzzing ${part} endpoints (FUZZ_SEED=${seed}, FUZZ_RUNS=${runs})`, () => {
    it("builds an input generator for every endpoint in the plan", () => {
      expect([...endpoints.keys()].sort()).toEqual((Object.keys(FUZZ_PLAN) as EndpointName[]).sort());
    });

    names.forEach((name, i) => {
      it(name, async () => {
        const e = endpoints.get(name);
        if (!e) throw new Error(`no input generator for ${name}`);
        const statuses = new Map<string, number>();
        tally.set(name, statuses);
        const cpu = process.cpuUsage();
        await fc.assert(
          fc.asyncProperty(e.input, async (input) => {
            const r = e.prepare ? await e.prepare(input) : input;
            let outcome: Outcome;
            try {
              outcome = await invoke(e, r);
            } catch (err) {
              const what = err instanceof HangError ? err.message : `threw ${(err as Error)?.stack ?? String(err)}`;
              throw new Error(`${name}: ${what}\n${describeInput(r)}`);
            }
            const key = outcome.by === "handler" ? String(outcome.status) : `${outcome.by}-${outcome.status}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
            if (outcome.status >= 500) throw new Error(`${name}: answered ${outcome.status}\n${describeInput(r)}`);
          }),
          // Each endpoint draws its own sequence from the run's seed; the failure report names both.
          {
            seed: seed + i + (part === "web" ? 1000 : 0),
            numRuns: runsFor(name, runs),
            endOnFailure: process.env.FUZZ_SHRINK !== "1",
            verbose: 0,
          },
        );
        const used = process.cpuUsage(cpu);
        cpuMs.set(name, (used.user + used.system) / 1000);
      }, 600_000);
    });
  });
}
