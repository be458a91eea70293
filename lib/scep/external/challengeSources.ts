// The challenge sources of an external SCEP profile (importable by client components: no server code).
export const CHALLENGE_SOURCES = ["NONE", "STATIC", "NDES", "GENERIC"] as const;
export type ChallengeSource = (typeof CHALLENGE_SOURCES)[number];
