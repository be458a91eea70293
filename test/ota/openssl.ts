// `openssl cms -verify` as the done-when criterion states it: DER in, our CA as the only trust anchor.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Returns the verified content; throws when OpenSSL rejects the signature or the chain. */
export function opensslVerify(signed: Uint8Array, caPem: string, dir: string): Buffer {
  const stem = `p-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  const input = path.join(dir, `${stem}.mobileconfig`);
  const caFile = path.join(dir, `${stem}-ca.pem`);
  fs.writeFileSync(input, signed);
  fs.writeFileSync(caFile, caPem);
  return execFileSync("openssl", ["cms", "-verify", "-inform", "DER", "-in", input, "-CAfile", caFile], { stdio: ["ignore", "pipe", "pipe"] });
}
