// The subject templates the SCEP form shows as examples, in a module without imports so the
// form (a client component) can show them; a test keeps each accepted by templateProblem.
export const SUBJECT_TEMPLATE_EXAMPLES = ["CN=$UDID", "CN=$SERIALNUMBER,O=Example"] as const;
