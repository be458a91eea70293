// Records an attestation for a device in the e2e server's database through the server's own
// verifier (lib/mdm/deviceAttestation.ts recordAttestation), with a stand-in chain from a test
// attestation root that this process (not the server) trusts: the server itself trusts only
// Apple's root, so a stand-in can reach "hardware-attested" only this way. Run with
// `node --import tsx`, with the server's DATA_DIR. Prints the verdict.
import crypto from "node:crypto";
import { prepareServer } from "../lib/bootstrap";
import { createClient, db, setDb } from "../lib/db/client";
import { recordAttestation } from "../lib/mdm/deviceAttestation";
import { makeAppleAttestationChain, makeTestAttestationRoot } from "../test/helpers/fakeAppleAttestation";

const [deviceId] = process.argv.slice(2);
const prepared = await prepareServer();
setDb(prepared.cfg.databaseUrl, createClient(prepared.cfg.databaseUrl));
const root = makeTestAttestationRoot();
process.env.ATTESTATION_TEST_ROOTS_PEM = root.rootPem;
const device = await db().device.findUniqueOrThrow({ where: { id: deviceId } });
const nonce = device.attestationNonce ? Buffer.from(device.attestationNonce, "hex") : crypto.randomBytes(32);
const chain = makeAppleAttestationChain(root, {
  serialNumber: device.serialNumber ?? undefined,
  udid: device.udid ?? undefined,
  osVersion: device.osVersion ?? "18.2",
  sepOsVersion: device.osVersion ?? "18.2",
  freshness: nonce,
  publicKey: crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey,
});
const fresh = await db().device.update({ where: { id: deviceId }, data: { attestationNonce: nonce.toString("hex") } });
process.stdout.write(await recordAttestation(fresh, { DevicePropertiesAttestation: chain.map((c) => new Uint8Array(c)) }));
process.exit(0);
