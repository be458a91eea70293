// GET /authenticate?user-identifier=… (enrollment type from the routing rules) or ?flow=… (OAuth 2).
import { signInMetadata, SignInView } from "./SignInView";

export const dynamic = "force-dynamic";
export const generateMetadata = signInMetadata;

export default async function AuthenticatePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  return <SignInView mode={null} search={await searchParams} />;
}
