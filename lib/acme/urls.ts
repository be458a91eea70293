// The ACME resource URLs, all under PUBLIC_URL/acme. A JWS's "url" must equal the URL the
// request was sent to (RFC 8555 §6.4), which is this form of it.
import { config } from "../config";

export function acmeBase(): string {
  return `${config().publicUrl.replace(/\/+$/, "")}/acme`;
}

export const acmeUrl = {
  directory: () => `${acmeBase()}/directory`,
  newNonce: () => `${acmeBase()}/new-nonce`,
  newAccount: () => `${acmeBase()}/new-account`,
  newOrder: () => `${acmeBase()}/new-order`,
  revokeCert: () => `${acmeBase()}/revoke-cert`,
  keyChange: () => `${acmeBase()}/key-change`,
  account: (id: string) => `${acmeBase()}/acct/${id}`,
  accountOrders: (id: string) => `${acmeBase()}/acct/${id}/orders`,
  order: (id: string) => `${acmeBase()}/order/${id}`,
  finalize: (id: string) => `${acmeBase()}/order/${id}/finalize`,
  authz: (id: string) => `${acmeBase()}/authz/${id}`,
  challenge: (id: string) => `${acmeBase()}/chall/${id}`,
  certificate: (serial: string) => `${acmeBase()}/cert/${serial}`,
};

/** The id at the end of one of our account URLs (a JWS "kid"), or null. */
export function accountIdFromKid(kid: string): string | null {
  const prefix = `${acmeBase()}/acct/`;
  if (!kid.startsWith(prefix)) return null;
  const id = kid.slice(prefix.length);
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
}
