// http-01 (RFC 8555 §8.3) for DNS identifiers under admin-allowed domains: fetch the key
// authorization from the name over plain HTTP, no redirects, a small answer, a short timeout.
import { config } from "../config";
import { problem } from "./problem";

const MAX_ANSWER = 1024;
const TIMEOUT_MS = 10_000;

export async function validateHttp01(name: string, token: string, thumbprint: string): Promise<void> {
  const port = config().acmeHttp01Port;
  const host = name.includes(":") ? `[${name}]` : name;
  const url = `http://${host}${port === 80 ? "" : `:${port}`}/.well-known/acme-challenge/${token}`;
  let body: string;
  try {
    const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status !== 200) throw problem("incorrectResponse", `${url} answered HTTP ${res.status}`, "acme_challenge_failed");
    body = await readCapped(res, url);
  } catch (err) {
    if (err instanceof Error && err.name === "AcmeProblem") throw err;
    throw problem("connection", `could not fetch ${url}`, "acme_challenge_failed");
  }
  // §8.3: the server may strip trailing whitespace.
  if (body.replace(/[\s]+$/, "") !== `${token}.${thumbprint}`) throw problem("incorrectResponse", `${url} did not answer the key authorization`, "acme_challenge_failed");
}

async function readCapped(res: Response, url: string): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER) {
      await reader.cancel().catch(() => undefined);
      throw problem("incorrectResponse", `${url} answered more than ${MAX_ANSWER} bytes`, "acme_challenge_failed");
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
