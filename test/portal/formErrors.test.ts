// What the portal's forms show beside each field comes from the refusal itself: the input
// errors name the field the form's input has. The SCEP form's own examples are accepted, and
// a variable name other products use is answered with the one we support.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@/test/helpers/db";
import { createRoute } from "@/lib/enrollment/routes";
import { createScepProfile } from "@/lib/scep/profiles";
import { templateProblem } from "@/lib/scep/subject";
import { SUBJECT_TEMPLATE_EXAMPLES } from "@/lib/scep/subjectExamples";
import { InputError } from "@/lib/errors";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => t?.close());

async function refusal(p: Promise<unknown>): Promise<InputError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe("subject template examples", () => {
  it("accepts every example the form shows", () => {
    for (const example of SUBJECT_TEMPLATE_EXAMPLES) expect(templateProblem(example), example).toBeNull();
  });

  it("answers CN=$SERIAL with the supported $SERIALNUMBER, and the corrected template is accepted", () => {
    const problem = templateProblem("CN=$SERIAL");
    expect(problem).toContain("use $SERIALNUMBER");
    expect(problem).toContain("CN=$SERIALNUMBER");
    expect(templateProblem("CN=$SERIALNUMBER")).toBeNull();
    expect(templateProblem("CN=$FOO")).toMatch(/unknown variable \$FOO/);
  });
});

describe("field errors", () => {
  it("names the SCEP profile's fields as the form names its inputs", async () => {
    const err = await refusal(createScepProfile({ name: "Bad subject", challengeType: "DYNAMIC", subjectTemplate: "CN=$SERIAL", validityDays: 0 }));
    expect(Object.keys(err.fields).sort()).toEqual(["subjectTemplate", "validityDays"]);
    expect(err.fields.subjectTemplate).toContain("$SERIALNUMBER");
    await createScepProfile({ name: "Taken", challengeType: "DYNAMIC" });
    const taken = await refusal(createScepProfile({ name: "Taken", challengeType: "DYNAMIC" }));
    expect(taken.status).toBe(409);
    expect(Object.keys(taken.fields)).toEqual(["name"]);
  });

  it("names the routing rule's fields", async () => {
    const err = await refusal(createRoute({ domain: "not a domain", version: "mdm-byod", baseUrl: "ftp://x" }));
    expect(Object.keys(err.fields).sort()).toEqual(["baseUrl", "domain"]);
    const group = await refusal(createRoute({ domain: "fields.example", version: "mdm-byod", groupId: "missing" }));
    expect(Object.keys(group.fields)).toEqual(["groupId"]);
  });
});
