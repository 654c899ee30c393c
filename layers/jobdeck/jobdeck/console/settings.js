// Where the API is and how to sign in to it: /console/config.json (the Cognito hosted UI, if any;
// who is an admin) and whether the local stack's dev token issuer answers beside the API.

/** The API sits where the page does. */
export const BASE = location.pathname.replace(/[^/]*$/, "");

/**
 * What config.json says (the hosted UI's domain, client and scope; the admins' group and the claim
 * that lists groups), and whether the local issuer answered.
 * @type {{cognito: {domain: string, client_id: string, scope: string} | null, admin_group: string,
 *   groups_claim: string, local: boolean}}
 */
export const settings = { cognito: null, admin_group: "admins", groups_claim: "cognito:groups", local: false };

/** Read them once, at start; without an answer the page offers a pasted token only. */
export async function loadSettings() {
  const config = await fetch(`${BASE}console/config.json`)
    .then((r) => r.json())
    .catch(() => ({}));
  Object.assign(settings, config);
  settings.local = await fetch(`${BASE}local-issuer/.well-known/openid-configuration`)
    .then((r) => r.ok)
    .catch(() => false);
}
