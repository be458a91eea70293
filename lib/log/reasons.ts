// The catalogue of enrollment-log reason codes: what went wrong and how to fix it.
// Admin-facing fixes follow seed 000's "Common Issues"; the enroll page shows the
// user-facing text. One place, so the log, the portal and the enroll page agree.
export interface ReasonInfo {
  title: string;
  /** What the admin should do. */
  fix: string;
  /** What an end user sees (enroll page), where the reason reaches them. */
  userMessage?: string;
  userFix?: string;
}

export const REASONS = {
  token_expired: {
    title: "Enrollment token expired",
    fix: "Generate a new token (Enrollment > OTA > Tokens) and send the new link.",
    userMessage: "This enrollment link has expired, so the profile won't install.",
    userFix: "Ask your IT team for a new enrollment link.",
  },
  token_bad_signature: {
    title: "Token signature invalid",
    fix: "The link was altered or signed by another server. Regenerate the token.",
    userMessage: 'This enrollment link is not valid (its signature could not be verified), so the profile would show as "Invalid Profile".',
    userFix: "Ask your IT team to regenerate the token and send you the new link.",
  },
  token_revoked: {
    title: "Enrollment token revoked",
    fix: "The token was revoked by an admin. Generate a new token if enrollment should continue.",
    userMessage: "This enrollment link has been turned off by your IT team.",
    userFix: "Ask your IT team for a new enrollment link.",
  },
  token_exhausted: {
    title: "Enrollment token used up",
    fix: "Every use of the token is spent (a device enrolled with it) or held by a download no device has enrolled from yet (held for the challenge lifetime, 60 minutes). Wait for held uses to be released, or generate a new token with a higher limit.",
    userMessage: "This enrollment link has already been used the maximum number of times.",
    userFix: "Ask your IT team for a new enrollment link.",
  },
  token_malformed: {
    title: "Malformed enrollment token",
    fix: "The link is incomplete (often cut off when copied). Send the full URL or the QR code.",
    userMessage: "This enrollment link is incomplete or damaged.",
    userFix: "Open the full link from the original message, or scan the QR code.",
  },
  token_missing: {
    title: "No enrollment token",
    fix: "The enroll page was opened without a token. Share the full enrollment URL.",
    userMessage: "This page needs an enrollment link from your IT team.",
    userFix: "Open the enrollment link or scan the QR code you were given.",
  },
  token_unknown: {
    title: "Unknown enrollment token",
    fix: "The token is signed by this server but no longer exists (deleted). Generate a new token.",
    userMessage: "This enrollment link is no longer recognised.",
    userFix: "Ask your IT team for a new enrollment link.",
  },
  scep_bad_challenge: {
    title: "Wrong SCEP challenge",
    fix: "The device sent a challenge that does not match the SCEP profile. Re-download the profile or check the static password.",
  },
  scep_challenge_expired: {
    title: "SCEP challenge expired",
    fix: "The one-time challenge expired before the device used it. Install the profile promptly after downloading, or lengthen the challenge lifetime.",
  },
  scep_challenge_replayed: {
    title: "SCEP challenge reused",
    fix: "A one-time challenge was presented twice. Each profile download carries a fresh challenge; re-download the profile.",
  },
  scep_csr_invalid: {
    title: "CSR signature invalid",
    fix: "The certificate request is corrupt or not signed by its key. Check the SCEP client.",
  },
  scep_subject_too_long: {
    title: "Certificate subject too long",
    fix: "An expanded subject attribute exceeds its X.520 limit (CN, O and OU: 64 characters, a $PROFILE_IDENTIFIER included). Shorten the fixed text or drop a variable in the SCEP profile's subject template.",
  },
  scep_subject_unresolved: {
    title: "Certificate subject incomplete",
    fix: "A variable of the SCEP profile's subject template (e.g. $UDID) had no value: the request's subject did not carry it. Check the template and the subject in the configuration profile.",
  },
  scep_key_too_small: {
    title: "Certificate request key too small",
    fix: "The device's key is smaller than the SCEP profile's key size, or not RSA. Check the key size in the configuration profile.",
  },
  identity_renewal_failed: {
    title: "Identity renewal not queued",
    fix: "The replacement enrollment profile could not be built or queued (the message says why, e.g. the device's enrollment token was deleted). Fix the cause; the next hourly run retries, or run `npm run admin -- renew-identities`. If the certificate expires first, re-enroll the device.",
  },
  scep_renewal_rejected: {
    title: "SCEP renewal refused",
    fix: "The renewal was signed with a certificate this CA did not issue, or one that is revoked, expired or from another SCEP profile. Re-enroll the device.",
  },
  scep_renewal_too_early: {
    title: "SCEP renewal before the renewal window",
    fix: "A certificate may be renewed only within its SCEP profile's renewal window before it expires. Let the device renew then (the server queues it), widen the profile's renewal window, or re-enroll the device if it needs a new certificate now.",
  },
  scep_renewal_profile_deleted: {
    title: "SCEP renewal of a deleted profile's certificate",
    fix: "The SCEP profile that issued this certificate was deleted, so its certificates cannot renew (under this or any other profile). Re-enroll the device with an enrollment link that uses a current SCEP profile.",
  },
  scep_challenge_revoked: {
    title: "SCEP challenge of a revoked enrollment token",
    fix: "The one-time challenge was handed out with an enrollment token that has since been revoked, which invalidates it. If the device should enroll, create a new token and send its link.",
  },
  scep_profile_not_found: {
    title: "SCEP profile not found",
    fix: "The SCEP URL names a profile that does not exist. Check the URL in the configuration profile.",
  },
  scep_bad_message: {
    title: "Malformed SCEP message",
    fix: "The request is not a valid SCEP PKIMessage. Check the client and any proxy in between.",
  },
  scep_unsupported_algorithm: {
    title: "Unsupported SCEP algorithm",
    fix: "The client used a content encryption, digest or signature algorithm this server does not accept (it answered badAlg). Configure the client for AES and SHA-256, as GetCACaps advertises.",
  },
  scep_transaction_reused: {
    title: "SCEP transactionID reused with another key",
    fix: "A request reused the transactionID of an earlier one with a different key or signer. A client must use a new transactionID for a new key; a replay attempt looks the same. Re-run the client with a new key.",
  },
  scep_unknown_transaction: {
    title: "SCEP poll for an unknown transaction",
    fix: "A CertPoll (GetCertInitial) named a transaction this SCEP profile has no record of, or was signed by another key. Re-run the enrollment.",
  },
  scep_challenge_throttled: {
    title: "Too many wrong SCEP challenges",
    fix: "One address sent many wrong challenges to this SCEP profile; it gets HTTP 429 until the window passes. If the devices are yours, fix the challenge in their profile; otherwise someone is guessing.",
  },
  scep_not_issued: {
    title: "SCEP certificate not issued",
    fix: "The device enrolled but has no identity certificate: check SCEP server connectivity and the SCEP profile.",
  },
  checkin_unauthenticated: {
    title: "Unauthenticated MDM request",
    fix: "The request carried no valid identity certificate signature. The device may need to re-enroll.",
  },
  checkin_cert_revoked: {
    title: "Revoked device certificate",
    fix: "The device's identity certificate was revoked. Re-enroll the device.",
  },
  checkin_cert_mismatch: {
    title: "Certificate belongs to another device",
    fix: "The identity certificate is bound to a different device. Investigate: a copied identity is a security issue.",
  },
  checkin_udid_mismatch: {
    title: "Certificate issued for another UDID",
    fix: "The identity certificate was issued (device-bound OTA or attested ACME) for the device with another UDID, which proved its UDID when it enrolled. Investigate: the enrollment profile or its identity was moved to another device. The device can enroll again with its own link.",
  },
  profile_service_malformed: {
    title: "Device attributes unreadable",
    fix: "The device's answer to the Profile Service (phase one of device-bound enrollment) was not a CMS-signed property list with a UDID. Check proxies that alter request bodies; the user can open the enrollment link again.",
    userMessage: "Your device's answer could not be read.",
    userFix: "Open the enrollment link again and install the first profile once more.",
  },
  profile_service_challenge: {
    title: "Profile Service answer not expected",
    fix: "The device answered with a challenge this server did not issue, already used, or expired (after 60 minutes). The user opens the enrollment link again to get a fresh first profile.",
    userMessage: "This step of the enrollment has expired or was already completed.",
    userFix: "Open the enrollment link again.",
  },
  attestation_required: {
    title: "Device cannot attest",
    fix: 'The link requires attestation (Managed Device Attestation), and this model or OS version cannot attest: iPhone/iPad with A11 or later on iOS 16+, Apple-silicon Macs on macOS 14+, Apple TV A12+ on tvOS 16+, Vision Pro. Use a link without "Require attestation" for this device, or update it.',
    userMessage: "This enrollment link is only for devices that can prove their identity with Apple's attestation, and this device cannot.",
    userFix: "Ask your IT team for a link for this device.",
  },
  attestation_failed: {
    title: "Device attestation failed",
    fix: "The attestation the device returned did not verify (chain to Apple Enterprise Attestation Root CA, freshness code, dates, or format; the log line says which). In normal operation this never happens: investigate the device before trusting it.",
  },
  attestation_mismatch: {
    title: "Attested identity differs from the record",
    fix: "Apple attested a serial number or UDID that differs from what the device reported. Investigate: the device record may belong to another device, or the device reports false values.",
  },
  maid_token_unavailable: {
    title: "Managed Apple Account token not issued",
    fix: "The device asked (GetToken com.apple.maid) for the token that lets it sign in with a Managed Apple Account, and the server could not issue it (the log line says why). Check Settings › Managed Apple Accounts.",
  },
  checkin_malformed: {
    title: "Malformed check-in message",
    fix: "The device sent a body that is not a valid property list. Check proxies that may alter bodies.",
  },
  device_reenrolled: {
    title: "Device re-enrolled with a new identity",
    fix: "A known device authenticated with a new identity certificate. Its queued commands, escrowed bootstrap token, push and unlock tokens were dropped, the previous certificate was revoked (superseded) and the group's policies are applied again. If the line names another link, user or address than you expect, someone may have enrolled in the device's place: remove the device (it re-enrolls) and check the enrollment link.",
  },
  reenrollment_held: {
    title: "Re-enrollment waits for approval",
    fix: "A known device authenticated with a new identity from another enrollment link or user (or the setting requires approval for every re-enrollment). The device keeps its current identity; the new one gets nothing until you approve or deny it on the device's page (Settings > Re-enrollment sets the rule).",
  },
  reenrollment_denied: {
    title: "Re-enrollment denied",
    fix: "An admin denied a held re-enrollment; the new identity certificate was revoked and the device keeps its previous identity. Nothing to do unless the denial was a mistake (the device must then enroll again).",
  },
  command_report_too_large: {
    title: "Command result too large",
    fix: "The device's answer to a command exceeded the command-report size limit; the command was marked failed so it is not sent again. Ask for less (e.g. fewer DeviceInformation queries) or raise the limit.",
  },
  enrollment_ref_ignored: {
    title: "Enrollment reference ignored",
    fix: "The check-in URL's enrollment reference did not verify, named a deleted or revoked token, or disagreed with the identity certificate; the device enrolled without it (no token group). A forged or altered reference is a security concern: check where the profile came from.",
  },
  user_channel_declined: {
    title: "User channel declined",
    fix: "The server answered 410 to a user-channel message: it manages user channels on Macs only, and not after the device checked out. Nothing to do unless the device is a Mac recorded with another platform (check its Authenticate).",
  },
  user_channel_unknown: {
    title: "Unknown user channel",
    fix: "A command poll named a user channel that never sent UserAuthenticate or TokenUpdate. The user logs out and in again (the Mac then reopens the channel); repeated refusals point to a copied identity.",
  },
  checkin_unknown_type: {
    title: "Unknown check-in message type",
    fix: "The device sent a MessageType this server does not support.",
  },
  push_not_configured: {
    title: "This server is not ready to enroll devices",
    userMessage: "This server is not ready to enroll devices: the administrator must add an APNs certificate first.",
    userFix: "Tell your IT team; try this link again once they have set it up. Nothing was used up.",
    fix: "Add the APNs push certificate in Settings → APNs push certificate (step by step in docs/mdm.md, Push). For a lab without push only, set ALLOW_ENROLL_WITHOUT_PUSH=true (devices enrolled so must enroll again later).",
  },
  push_unreachable: {
    title: "Device not reachable by push",
    fix: "APNs answered Unregistered or BadDeviceToken: the device was erased, removed its MDM profile, or its push token belongs to another topic (a push certificate replaced with one of another topic). It is not pushed again until it sends a new TokenUpdate; if it was wiped or the topic changed, enroll it again.",
  },
  push_failed: {
    title: "Push notification failed",
    fix: "APNs rejected or could not be reached. Check the APNs certificate (Settings) and outbound connectivity.",
  },
  network: {
    title: "Network connectivity",
    fix: 'Enrollment hangs at "Configuring Device": ensure the device can reach this server\'s public URL.',
  },
  root_ca_untrusted: {
    title: "Root CA not trusted",
    fix: "The profile is untrusted because the root CA is not installed: install the root CA profile first.",
  },
  discovery_unknown_domain: {
    title: "Unknown domain in service discovery",
    fix: "No account-driven routing rule matches this user's domain. Add a rule under Enrollment > Account-driven.",
  },
  discovery_bad_identifier: {
    title: "Invalid user identifier",
    fix: "The identifier typed on the device is not user@domain.",
  },
  external_scep_unreachable: {
    title: "External SCEP CA unreachable or not SCEP",
    fix: "GetCACaps/GetCACert on the external SCEP URL failed. Check the URL (no query string; NDES: https://<host>/certsrv/mscep/mscep.dll), that this server can reach it, and that it answers GetCACert with a CA certificate.",
  },
  external_ca_fingerprint_mismatch: {
    title: "External CA fingerprint mismatch",
    fix: "GetCACert returned a CA other than the one pinned or pasted. Compare the fingerprint with the CA's console (Okta: Device integrations; NDES: certutil -ca.cert); if the CA was really renewed, save the profile again and confirm the new fingerprint.",
  },
  external_challenge_unreachable: {
    title: "Challenge URL unreachable",
    fix: "The external CA's challenge URL did not answer (or answered an HTTP error). Check the URL (NDES: https://<host>/certsrv/mscep_admin/), DNS and firewalls between this server and the CA.",
  },
  external_challenge_auth_failed: {
    title: "Challenge URL refused the credentials",
    fix: "The challenge URL answered 401/403. Enter the username and password again (NDES: the account allowed to request challenge passwords, as DOMAIN\\user, with Basic authentication enabled on mscep_admin in IIS; Okta: reset the password under Device integrations). NTLM-only endpoints are not supported.",
  },
  external_challenge_cache_full: {
    title: "Challenge password cache full",
    fix: "NDES keeps a limited number of unused challenges (5 by default) for one hour. Wait for unused ones to expire, or raise PasswordMax under HKLM\\Software\\Microsoft\\Cryptography\\MSCEP on the NDES server; redistribution retries later.",
  },
  external_challenge_unparseable: {
    title: "Challenge URL answer not understood",
    fix: 'The page had no "The enrollment challenge password is: <B> … </B>" (NDES) or no challenge field (generic JSON). Check the challenge source type and, for JSON, the response field name.',
  },
  certificate_profile_failed: {
    title: "Device could not install the certificate",
    fix: "The device answered InstallProfile with an error (shown in the line). Common causes: the CA refused the challenge (expired or already used: the next redistribution fetches a new one), the CA is unreachable from the device, or the subject/key settings are refused by the CA's template. Fix the cause, then use Resend policies on the device.",
  },
  ndes_auth_failed: {
    title: "Wrong NDES challenge-URL credentials",
    fix: 'The client (e.g. Jamf Pro\'s "Dynamic-Microsoft CA" SCEP payload) sent a wrong username or password for the challenge URL. Copy them again from the SCEP profile, or reset the password there.',
  },
  auth_failed: {
    title: "Sign-in failed",
    fix: "The user could not sign in with the identity provider. Check the user's account and the IdP settings.",
  },
  access_token_invalid: {
    title: "Access token rejected",
    fix: "The device presented a missing, expired or revoked access token; the user must sign in again.",
  },
  refresh_token_reused: {
    title: "Refresh token reused",
    fix: "A refresh token was presented twice; the whole token family was revoked as a precaution. The user must sign in again.",
  },
  access_token_malformed: {
    title: "Malformed access token",
    fix: "The device sent a bearer token that this server never issues (wrong shape). Often another server's token or a proxy rewriting headers.",
  },
  access_token_expired: {
    title: "Access token expired",
    fix: "The access token's lifetime ended; the device renews it (OAuth 2) or asks the user to sign in again.",
  },
  access_token_revoked: {
    title: "Access token revoked",
    fix: "The token was revoked (its OAuth refresh family was invalidated); the user must sign in again.",
  },
  adde_bad_request: {
    title: "Malformed account-driven enrollment request",
    fix: "The enrollment POST body is not a property list with LANGUAGE, PRODUCT and VERSION (or its CMS wrapper is corrupt). Check proxies that may alter bodies.",
  },
  adde_version_mismatch: {
    title: "Token for another enrollment type",
    fix: "The access token was issued for user enrollment but the device asked for device enrollment (or the reverse). Check the account-driven routing rules.",
  },
  auth_state_invalid: {
    title: "Sign-in session unknown or expired",
    fix: "The identity provider returned to a sign-in that this server does not know or that took too long. The user should start enrollment again.",
  },
  auth_identity_mismatch: {
    title: "Signed in as another account",
    fix: "The person signed in at the identity provider with a different account than the one typed on the device. They should start again with the same account (or the IdP's email/UPN claim differs from the user identifier).",
  },
  oauth_invalid_request: {
    title: "Invalid OAuth 2 request",
    fix: "The device's authorization or token request was malformed (wrong client, redirect URI, missing state, a PKCE verifier that does not match, or an unsupported grant). Check the OAuth 2 client id in the settings.",
  },
  adde_route_removed: {
    title: "No routing rule for this user any more",
    fix: "The account-driven routing rule that let this user enroll was deleted or disabled, or now gives another enrollment type, so the user's access and refresh tokens no longer work: the device is asked to sign in again and is refused until a rule covers the user. Re-enable or recreate the rule if the user should stay enrolled; otherwise remove the device.",
  },
  tokens_revoked_by_admin: {
    title: "Tokens invalidated by an admin",
    fix: "An admin invalidated this user's tokens; the device will ask the user to sign in again.",
  },
  device_limit_reached: {
    title: "Device limit reached",
    fix: "This person already has as many active enrollments as the per-user device limit allows. Remove or unenroll one of their devices, or raise the limit (Settings, the routing rule, or the enrollment token).",
    userMessage: "You have already enrolled the maximum number of devices allowed for one person.",
    userFix: "Ask your IT team to remove a device you no longer use, then try again.",
  },
  terms_not_accepted: {
    title: "Terms not accepted",
    fix: "The download or sign-in did not accept the current version of the terms (not ticked, or the terms changed since the page was opened). The person should reload the page and accept them.",
    userMessage: "You need to accept the terms before enrolling this device.",
    userFix: 'Go back, read the terms, tick "I accept" and try again.',
  },
  acme_malformed: {
    title: "ACME request malformed",
    fix: "The ACME client sent a request this server cannot read (not a flattened JWS, bad JSON, a missing field). Update the client; the problem document's detail names the field.",
  },
  acme_bad_nonce: {
    title: "ACME nonce invalid or reused",
    fix: "The request's Replay-Nonce was missing, expired or already used (a replay, or a client retrying with an old nonce). Clients retry with the fresh nonce in the answer; nothing to do unless it repeats.",
  },
  acme_bad_signature_algorithm: {
    title: "ACME signature algorithm not supported",
    fix: "The ACME client signed with an algorithm other than ES256, ES384 or RS256. Configure the client's account key as P-256, P-384 or RSA 2048+.",
  },
  acme_bad_public_key: {
    title: "ACME account key refused",
    fix: "The account key is not a P-256/P-384 EC or 2048-8192-bit RSA public key, or does not match the signature algorithm. Generate a new account key in the client.",
  },
  acme_bad_signature: {
    title: "ACME request signature invalid",
    fix: "The JWS signature does not verify with the account key: the request was altered, or the client signs with another key than it registered.",
  },
  acme_bad_url: {
    title: "ACME request URL mismatch",
    fix: "The JWS names another URL than the one it was sent to. Check PUBLIC_URL: clients must reach the server at exactly the URLs in the ACME directory.",
  },
  acme_account_unknown: {
    title: "ACME account unknown",
    fix: "The client uses an account URL this server does not know (another server's, or deleted). Let the client register a new account.",
  },
  acme_account_deactivated: {
    title: "ACME account deactivated",
    fix: "The account was deactivated (by its owner) and can no longer be used. The client must create a new account.",
  },
  acme_rejected_identifier: {
    title: "ACME identifier refused",
    fix: "The order asked for an identifier this server does not issue for: DNS names only under a domain allowed in Settings > ACME, device identifiers only as permanent-identifier. Check the ACME settings or the client's request.",
  },
  acme_not_in_inventory: {
    title: "Device not in inventory",
    fix: "The device identifier (serial number or UDID) is neither the one of an enrollment that handed out an ACME payload (within its lifetime) nor a pre-registered serial. Enroll the device again, or pre-register its serial in Settings > ACME.",
  },
  acme_identifier_mismatch: {
    title: "Attested device differs from the identifier",
    fix: "Apple's attestation names another serial number or UDID than the ACME order's identifier (or the enrollment it was issued for). Another device may be trying to use this device's enrollment: check which device downloaded the profile.",
  },
  acme_attestation_malformed: {
    title: "Attestation statement malformed",
    fix: "The device-attest-01 response is not a CBOR attestation object in Apple's format (fmt \"apple\", x5c). Check the device's OS version (iOS 16+, macOS 14+) and that the payload has Attest true.",
  },
  acme_attestation_chain: {
    title: "Attestation not signed by Apple",
    fix: "The attestation's certificate chain does not end at the configured Apple Enterprise Attestation Root CA. A device cannot produce this: the statement was forged or built by a test tool.",
  },
  acme_attestation_nonce: {
    title: "Attestation freshness code wrong",
    fix: "The attestation's freshness code is not the SHA-256 of this challenge's token: a replayed or stale attestation. The device retries with a new order; if it repeats, check for a proxy replaying requests.",
  },
  acme_attestation_expired: {
    title: "Attestation certificate expired",
    fix: "A certificate in the attestation chain is outside its validity period. Check the server's clock; Apple's attestation certificates are short-lived.",
  },
  acme_csr_invalid: {
    title: "ACME certificate request refused",
    fix: "The CSR at finalize is not a valid PKCS#10 request signed by its key, uses an unsupported key (P-256, P-384, RSA 2048-8192), or names other identifiers than the order. Check the client.",
  },
  acme_csr_key_mismatch: {
    title: "CSR key differs from the attested key",
    fix: "The key in the certificate request is not the hardware key Apple attested for this order. The request did not come from the attested Secure Enclave key: do not trust this client.",
  },
  acme_order_not_ready: {
    title: "ACME order not ready",
    fix: "The client asked to finalize an order whose authorizations are not all valid (or that is already finalized). Clients complete the challenges first.",
  },
  acme_challenge_failed: {
    title: "ACME challenge failed",
    fix: "The http-01 challenge could not be validated: this server fetched http://<name>/.well-known/acme-challenge/<token> and did not get the key authorization. Check that the name resolves to the client and port 80 reaches it.",
  },
  acme_revocation_refused: {
    title: "ACME revocation refused",
    fix: "The revocation request was signed by neither the account that ordered the certificate nor the certificate's own key, names a certificate this CA did not issue, or gives an unknown reason code.",
  },
  body_too_large: {
    title: "Request too large",
    fix: "The request body exceeded the size limit. Check the client or proxy.",
  },
  log_flood_overflow: {
    title: "Too many different failures to log one by one",
    fix: "More distinct failures (source address, device, token or user) arrived in this window than the log keeps as separate lines (LOG_MAX_KEYS_PER_WINDOW, and LOG_MAX_KEYS_PER_ADDRESS per source address); the rest are only counted on this line. Usually a scan or a flood: check the addresses on the lines just before it and block them at the proxy or firewall.",
  },
} as const satisfies Record<string, ReasonInfo>;

export type ReasonCode = keyof typeof REASONS;

export function reasonInfo(code: string | null | undefined): ReasonInfo | null {
  if (!code) return null;
  return (REASONS as Record<string, ReasonInfo>)[code] ?? null;
}
