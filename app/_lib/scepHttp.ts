// SCEP over HTTP (RFC 8894 4), an edge helper (only app/ and lib/http touch Request and
// Response): operation dispatch for GET and POST. Turns typed errors into 4xx and logs every
// request (step "scep").
import { AppError, badRequest, notFound } from "@/lib/errors";
import { LIMITS, readBody } from "@/lib/http/body";
import { remoteAddress } from "@/lib/http/remote";
import { errorResponse } from "@/lib/http/respond";
import { writeEnrollmentLog } from "@/lib/log/enrollmentLog";
import { getCaCertBundle } from "@/lib/pki/ra";
import { caCapabilities, certsOnly } from "@/lib/scep/message";
import { pkiOperation, STEP } from "@/lib/scep/pkiOperation";
import { getScepProfileRow } from "@/lib/scep/profiles";

async function requireProfile(profileId: string, operation: string, remoteAddr: string | null) {
  const profile = await getScepProfileRow(profileId);
  if (!profile) {
    await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: "scep_profile_not_found", message: `${operation} for unknown SCEP profile "${profileId.slice(0, 100)}"`, remoteAddr });
    throw notFound("SCEP profile");
  }
  return profile;
}

/** Base64 from a GET query: '+' may arrive as ' ' after form decoding. */
function decodeMessageParam(value: string | null): Uint8Array {
  if (!value) throw badRequest("missing_message", "PKIOperation over GET needs the message parameter");
  if (value.length > Math.ceil((LIMITS.scep * 4) / 3) + 4) throw new AppError(413, "payload_too_large", `message exceeds ${LIMITS.scep} bytes`);
  const b64 = value.replace(/ /g, "+").replace(/\s/g, "");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw badRequest("bad_scep_message", "the message parameter is not base64");
  return new Uint8Array(Buffer.from(b64.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}

async function dispatch(request: Request, profileId: string): Promise<Response> {
  const url = new URL(request.url);
  const operation = url.searchParams.get("operation") ?? "";
  const remoteAddr = remoteAddress(request);
  switch (operation) {
    case "GetCACaps": {
      const profile = await requireProfile(profileId, operation, remoteAddr);
      await writeEnrollmentLog({ step: STEP, outcome: "OK", message: `${profile.name}: GetCACaps`, remoteAddr, unauthenticated: true });
      return new Response(caCapabilities(), { status: 200, headers: { "content-type": "text/plain" } });
    }
    case "GetCACert": {
      const profile = await requireProfile(profileId, operation, remoteAddr);
      const bundle = await getCaCertBundle();
      await writeEnrollmentLog({ step: STEP, outcome: "OK", message: `${profile.name}: GetCACert`, remoteAddr, unauthenticated: true });
      // RA + CA (+ chain) as a degenerate PKCS#7 (RFC 8894 4.2.1.2): requests go to the RA, never the CA.
      return new Response(Buffer.from(certsOnly(bundle)), { status: 200, headers: { "content-type": "application/x-x509-ca-ra-cert" } });
    }
    case "PKIOperation": {
      let body: Uint8Array;
      if (request.method === "POST") {
        try {
          body = await readBody(request, LIMITS.scep);
        } catch (err) {
          if (err instanceof AppError && err.status === 413) {
            await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: "body_too_large", message: `PKIOperation body over ${LIMITS.scep} bytes refused`, remoteAddr });
          }
          throw err;
        }
      } else {
        body = decodeMessageParam(url.searchParams.get("message"));
      }
      if (body.byteLength === 0) {
        await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: "scep_bad_message", message: "PKIOperation with an empty body", remoteAddr });
        throw badRequest("bad_scep_message", "empty PKIOperation message");
      }
      const result = await pkiOperation(profileId, body, { remoteAddr });
      // CertRep FAILURE is still HTTP 200: the answer is in the signed message (RFC 8894 3.3.2).
      return new Response(Buffer.from(result.body), { status: 200, headers: { "content-type": "application/x-pki-message" } });
    }
    default:
      await writeEnrollmentLog({ step: STEP, outcome: "ERROR", reason: "scep_bad_message", message: `unsupported SCEP operation "${operation.slice(0, 50)}"`, remoteAddr });
      throw badRequest("unsupported_operation", operation ? `unsupported SCEP operation ${operation.slice(0, 50)}` : "the operation parameter is required");
  }
}

/** The SCEP endpoint for one profile: GET or POST /scep/<profileId>?operation=... */
export async function handleScepHttp(request: Request, profileId: string): Promise<Response> {
  try {
    return await dispatch(request, profileId);
  } catch (err) {
    return errorResponse(err);
  }
}
