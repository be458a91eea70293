import { redirect } from "next/navigation";
import { adminCount } from "@/lib/auth/admins";

export const dynamic = "force-dynamic";

export default async function Home() {
  redirect((await adminCount()) === 0 ? "/setup" : "/admin");
}
