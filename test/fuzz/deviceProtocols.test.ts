// Fuzzing the device protocol endpoints: SCEP GET/POST, NDES, MDM check-in and connect, OCSP,
// the CA downloads (test/fuzz/suite.ts; FUZZ_SEED / FUZZ_RUNS reproduce and scale).
// Mdm-Signature is checked against a client-certificate header too, as behind a TLS proxy.
process.env.CLIENT_CERT_HEADER = "x-client-cert";

import { defineFuzzSuite } from "./suite";

defineFuzzSuite("device");
