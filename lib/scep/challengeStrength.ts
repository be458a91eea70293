// Whether an admin-chosen STATIC challenge is strong enough. A static challenge is in every
// profile and, once leaked, lets anyone obtain certificates, so it must resist guessing:
// at least 12 characters, some variety, and not a common password or word dressed up with
// digits and symbols. Generated challenges (the default) are always strong.

export const MIN_STATIC_CHALLENGE_LENGTH = 12;
const MIN_DISTINCT_CHARACTERS = 6;

// The words and passwords that top every leaked-password list, and the names a SCEP setup
// suggests; compared after undoing common letter substitutions.
const COMMON = new Set(
  [
    "password",
    "passwort",
    "passw",
    "pass",
    "secret",
    "secrets",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "root",
    "qwerty",
    "qwertz",
    "azerty",
    "asdf",
    "asdfgh",
    "zxcvbn",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "iloveyou",
    "monkey",
    "dragon",
    "master",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "soccer",
    "shadow",
    "superman",
    "batman",
    "trustno",
    "trustnoone",
    "changeme",
    "default",
    "guest",
    "login",
    "access",
    "abc",
    "abcdef",
    "abcdefgh",
    "test",
    "testing",
    "tester",
    "demo",
    "example",
    "sample",
    "temp",
    "temporary",
    "hello",
    "helloworld",
    "freedom",
    "whatever",
    "starwars",
    "computer",
    "internet",
    "michael",
    "jennifer",
    "jordan",
    "hunter",
    "ranger",
    "summer",
    "winter",
    "spring",
    "autumn",
    "company",
    "corporate",
    "enterprise",
    "office",
    "network",
    "wireless",
    "wifi",
    "device",
    "devices",
    "mobile",
    "iphone",
    "ipad",
    "apple",
    "macbook",
    "android",
    "scep",
    "ndes",
    "challenge",
    "enroll",
    "enrollment",
    "certificate",
    "cert",
    "mdm",
    "profile",
    "openenroll",
    "jamf",
    "intune",
    "microsoft",
    "windows",
    "google",
    "cisco",
    "vpn",
    "security",
    "secure",
    "private",
    "system",
    "server",
    "service",
    "support",
    "manager",
    "management",
    "user",
    "username",
    "changeit",
    "passpass",
    "mypassword",
    "mysecret",
    "sharedsecret",
    "shared",
  ].map((w) => w.toLowerCase()),
);

const SUBSTITUTIONS: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s", "!": "i" };

function isSequence(value: string): boolean {
  // "123456789012", "abcdefghijkl", "zyxw…": each character one step from the last.
  let up = 0;
  let down = 0;
  for (let i = 1; i < value.length; i++) {
    const d = value.charCodeAt(i) - value.charCodeAt(i - 1);
    if (d === 1) up++;
    else if (d === -1) down++;
  }
  return Math.max(up, down) >= value.length - 3;
}

/** One or two common words, possibly repeated ("secretsecret", "adminpassword"). */
function isCommonWords(letters: string): boolean {
  if (COMMON.has(letters)) return true;
  for (const c of COMMON) {
    if (c.length >= 3 && letters.length % c.length === 0 && c.repeat(letters.length / c.length) === letters) return true;
  }
  for (let i = 3; i <= letters.length - 3; i++) {
    if (COMMON.has(letters.slice(0, i)) && COMMON.has(letters.slice(i))) return true;
  }
  return false;
}

/** A sentence saying why the static challenge is too weak, or null when it is acceptable. */
export function staticChallengeProblem(value: string): string | null {
  const generate = "leave it empty to generate a strong one";
  if ([...value].length < MIN_STATIC_CHALLENGE_LENGTH) return `must be at least ${MIN_STATIC_CHALLENGE_LENGTH} characters (${generate})`;
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) return `uses too few different characters (at least ${MIN_DISTINCT_CHARACTERS}); ${generate}`;
  if (/^\d+$/.test(value)) return `is only digits; ${generate}`;
  if (isSequence(value.toLowerCase())) return `is a run of consecutive characters; ${generate}`;
  // The word without the digits and symbols dressed around it ("Password123!", "!!Summer2024"),
  // letter substitutions undone ("P@ssw0rd"), separators dropped ("admin-password").
  const core = value.replace(/^[^A-Za-z]+|[^A-Za-z]+$/g, "").toLowerCase();
  const letters = [...core]
    .map((c) => SUBSTITUTIONS[c] ?? c)
    .join("")
    .replace(/[^a-z]/g, "");
  if (letters && isCommonWords(letters)) return `is a common word or password; ${generate}`;
  return null;
}
