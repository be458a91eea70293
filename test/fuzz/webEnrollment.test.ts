// Fuzzing the enrollment web endpoints: enroll page, short links, profile downloads,
// account-driven enrollment, sign-in, OAuth 2, discovery, ESSO (test/fuzz/suite.ts;
// FUZZ_SEED / FUZZ_RUNS reproduce and scale).
import { defineFuzzSuite } from "./suite";

defineFuzzSuite("web");
