// Records on a device what the push service records when APNs answers a push (run with
// `node --import tsx`, with the server's DATA_DIR): the e2e server has no APNs to talk to,
// so the portal's rendering of "410 Unregistered" is checked on a row written here. The
// push path itself is tested against the APNs stand-in (test/mdm/rePush.test.ts).
import { prepareServer } from "../lib/bootstrap";
import { createClient, db, setDb } from "../lib/db/client";

const [identifier, answer] = process.argv.slice(2);
const prepared = await prepareServer();
setDb(prepared.cfg.databaseUrl, createClient(prepared.cfg.databaseUrl));
const now = new Date();
const dead = /^(410|400 BadDeviceToken)/.test(answer);
await db().device.update({ where: { identifier }, data: { lastPushedAt: now, lastPushResult: answer, pushesUnanswered: 1, ...(dead ? { pushUnreachableAt: now } : {}) } });
process.exit(0);
