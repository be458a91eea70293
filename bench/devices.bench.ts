// Devices table at scale: seeds 100k devices (SQLite by default; PostgreSQL with
// BENCH_DATABASE_URL=postgres://…) and prints the server time of the table's first page
// (the same queries the page runs: listDevices + deviceFacets), then other common views.
// Figures only; no assertion. Run: npx tsx bench/devices.bench.ts [count]
import { benchEnv, measure, openBenchDb } from "./helpers";

const COUNT = Number(process.argv[2] ?? process.env.BENCH_DEVICES ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const env = benchEnv("devices");

const { listDevices, deviceFacets } = await import("../lib/inventory/devices");
const { dashboardStats } = await import("../lib/inventory/stats");

const bench = await openBenchDb("devices");
const { client, kind } = bench;

const t0 = performance.now();
const groups: string[] = [];
for (let g = 0; g < 20; g++) groups.push((await client.deviceGroup.create({ data: { name: `Group ${g}` } })).id);
const statuses = ["MANAGED", "MANAGED", "MANAGED", "ENROLLED", "PENDING", "UNENROLLED"] as const;
const platforms = ["iOS", "iOS", "iPadOS", "macOS"];
const now = Date.now();
const BATCH = 2000;
for (let i = 0; i < COUNT; i += BATCH) {
  const data = [];
  for (let j = i; j < Math.min(i + BATCH, COUNT); j++) {
    const udid = `00008110-${j.toString(16).padStart(16, "0").toUpperCase()}`;
    data.push({
      identifier: udid,
      udid,
      serialNumber: `F${(j * 7919).toString(36).toUpperCase().padStart(10, "0")}`,
      deviceName: `Device ${j}`,
      model: "iPhone15,2",
      modelName: "iPhone",
      osVersion: `18.${j % 6}`,
      platform: platforms[j % platforms.length],
      status: statuses[j % statuses.length],
      groupId: j % 7 === 0 ? null : groups[j % groups.length],
      lastSeenAt: j % 50 === 0 ? null : new Date(now - ((j * 104729) % (30 * 86400)) * 1000),
      enrolledAt: new Date(now - ((j * 7) % (60 * 86400)) * 1000),
    });
  }
  await client.device.createMany({ data });
}
console.log(`seeded ${COUNT} devices on ${kind} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

/** The first (cold) call, then the steady rate and latency over SECONDS. */
async function time<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const s = performance.now();
  const result = await fn();
  const first = performance.now() - s;
  const r = await measure(fn, SECONDS);
  console.log(`${label.padEnd(58)} first ${first.toFixed(1).padStart(7)} ms   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   (${r.n} runs)`);
  return result;
}

const firstPage = () => Promise.all([listDevices({ limit: 50 }), deviceFacets()]);
const [page] = await time("devices table, first page (server time: rows+total+facets)", firstPage);
console.log(`  -> ${page.rows.length} rows of ${page.total}`);
await time("  listDevices only, first page", () => listDevices({ limit: 50 }));
let cursor = page.nextCursor;
for (let p = 0; p < 200 && cursor; p++) cursor = (await listDevices({ limit: 50, cursor })).nextCursor;
await time("page 201 (keyset cursor)", () => listDevices({ limit: 50, cursor }));
await time("status=MANAGED, first page", () => listDevices({ status: "MANAGED", limit: 50 }));
await time(`group filter, first page`, () => listDevices({ groupId: groups[3], limit: 50 }));
await time("sorted by name, first page", () => listDevices({ sort: "name", limit: 50 }));
await time("sorted by group name, first page", () => listDevices({ sort: "group", limit: 50 }));
await time("search by serial prefix", () => listDevices({ q: "F000", limit: 50 }));
await time("dashboard stats", () => dashboardStats());

await bench.close();
env.cleanup();
