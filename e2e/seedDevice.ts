// Inserts a device row into the e2e server's database (run with `node --import tsx`, with
// the server's DATA_DIR): for device kinds the e2e suite cannot enroll end to end, such as
// a user enrollment, which needs a Managed Apple Account. Prints the device's id.
import { prepareServer } from "../lib/bootstrap";
import { createClient, db, setDb } from "../lib/db/client";

const [identifier, platform, enrollmentType] = process.argv.slice(2);
const prepared = await prepareServer();
setDb(prepared.cfg.databaseUrl, createClient(prepared.cfg.databaseUrl));
const d = await db().device.create({
  data: { identifier, enrollmentId: identifier, platform, enrollmentType: enrollmentType as "USER_ENROLLMENT", status: "MANAGED", deviceName: `Seeded ${identifier}` },
});
process.stdout.write(d.id);
process.exit(0);
