// GET /authenticate/byod|adde?user-identifier=…: the web-auth URL the enrollment 401 names.
import { notFound } from "next/navigation";
import { isSignInMode } from "@/lib/enrollment/userSignIn";
import { signInMetadata, SignInView } from "../SignInView";

export const dynamic = "force-dynamic";
export const generateMetadata = signInMetadata;

export default async function AuthenticateModePage({ params, searchParams }: { params: Promise<{ mode: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { mode } = await params;
  if (!isSignInMode(mode)) notFound();
  return <SignInView mode={mode} search={await searchParams} />;
}
