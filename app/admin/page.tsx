import { requireAdmin } from "@/lib/auth/session";

export const dynamic = "force-dynamic";

export default async function Dashboard() {
  await requireAdmin();
  return (
    <div>
      <h1 className="text-2xl font-semibold">Dashboard</h1>
    </div>
  );
}
