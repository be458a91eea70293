import Link from "next/link";
import { canWrite, requireAdmin } from "@/app/_lib/session";
import { listGroups } from "@/lib/mdm/groups";
import { listScepProfiles } from "@/lib/scep/profiles";
import { listExternalScepProfiles } from "@/lib/scep/external/profiles";
import { TokenForm } from "@/components/tokens/TokenForm";

export const dynamic = "force-dynamic";
export const metadata = { title: "Generate Token" };

export default async function NewTokenPage() {
  const admin = await requireAdmin();
  if (!canWrite(admin)) {
    return (
      <p role="alert" className="text-sm">
        Your role (read-only) cannot generate tokens.{" "}
        <Link href="/admin/enrollment/tokens" className="underline">
          Back to tokens
        </Link>
      </p>
    );
  }
  const [groups, scepProfiles] = await Promise.all([listGroups(), listScepProfiles()]);
  return (
    <div className="space-y-6">
      <div>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          <Link href="/admin/enrollment/tokens" className="underline underline-offset-2">
            Enrollment › OTA › Tokens
          </Link>
        </p>
        <h1 className="text-2xl font-semibold">Generate Token</h1>
      </div>
      <TokenForm
        groups={groups.map((g) => ({ id: g.id, name: g.name }))}
        scepProfiles={scepProfiles.map((p) => ({ id: p.id, name: p.name, challengeType: p.challengeType }))}
        externalScepProfiles={(await listExternalScepProfiles()).map((p) => ({ id: p.id, name: p.name }))}
      />
    </div>
  );
}
