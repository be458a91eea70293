export const CHALLENGE_LABEL: Record<string, string> = { STATIC: "Static", DYNAMIC: "Dynamic", TOKEN: "Token-based", NDES: "NDES challenge URL" };
