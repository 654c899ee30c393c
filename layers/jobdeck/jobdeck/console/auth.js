// Signing in and staying signed in. Ways in: the Cognito hosted UI (authorization code with PKCE),
// the local stack's dev token issuer, or a pasted access token. The first two give a refresh token
// as well: the access token (60 minutes at Cognito) is renewed with it before it expires, and again
// when the API refuses it (a tab asleep past the renewal). When it cannot be renewed, the session
// ends saying so (EXPIRED); the address keeps its hash, so signing in again shows the same page.

import { b64url, claimsOf } from "./lib/jwt.js";
import { BASE, settings } from "./settings.js";

const SESSION_KEY = "jobdeck.session"; // this tab only (sessionStorage)
const PKCE_KEY = "jobdeck.pkce";
const RENEW_BEFORE_MS = 5 * 60 * 1000; // or half its life, for a token shorter than ten minutes
const SKEW_MS = 30 * 1000; // a token this close to its end is renewed before it is sent
// The local issuer's tokens for the console live as long as Cognito's access tokens
// (template.yaml, AccessTokenValidity), so that a local session meets their end as a deployed one does.
const LOCAL_TOKEN_SECONDS = 3600;

export const EXPIRED = "Your session has expired: sign in again.";

/** The tokens of the session, and where to renew them (tokenUrl null: they cannot be). */
let session = null;
/** Who the access token says is signed in: {name, admin}. */
let user = null;
let renewing = null;
let renewTimer = null;
let endedBecause = null;
const listeners = [];

/** @returns {{name: string, admin: boolean} | null} */
export const currentUser = () => user;
export const isAdmin = () => Boolean(user?.admin);
/** Run Now, Stop, Clear All: admins, and owners of their own user jobs (as the API decides). */
export const canOperate = (job) => isAdmin() || (job.owner === user?.name && job.kind === "user");
/** Edit and Delete: admins, on jobs other than the system's. */
export const canEdit = (job) => isAdmin() && job.kind !== "system";

/**
 * Be told when someone signs in or out, or the session ends by itself (`ended`: why, to be said).
 * @param {(ended: string | null) => void} fn
 */
export function onSessionChange(fn) {
  listeners.push(fn);
}

/** Why the last session ended by itself (EXPIRED), until someone signs in again; else null. */
export const whyEnded = () => endedBecause;

/** Groups as Cognito sends them (a list), or flattened ("[admins ops]", "admins,ops"). */
function groupsOf(claims) {
  const value = claims[settings.groups_claim];
  if (Array.isArray(value)) return value.map(String);
  return String(value || "")
    .replace(/^\[|\]$/g, "")
    .split(/[\s,]+/)
    .filter(Boolean);
}

/**
 * Start a session from a token endpoint's answer (or a pasted token); false if the access token is
 * unreadable or expired. Its end is reckoned from `expires_in` on this browser's clock when the
 * answer has one (a clock set wrong does not end it early), else from the token's `exp`.
 * @param {{access_token: string, refresh_token?: string, expires_in?: number}} answer
 * @param {{tokenUrl: string, clientId: string} | null} renewal where its refresh token is used
 * @returns {boolean}
 */
export function keep(answer, renewal) {
  const claims = claimsOf(answer.access_token || "");
  const expiresAt = answer.expires_in ? Date.now() + answer.expires_in * 1000 : (claims?.exp ?? Infinity) * 1000;
  if (!claims || expiresAt < Date.now()) return false;
  session = {
    token: answer.access_token,
    refreshToken: answer.refresh_token || session?.refreshToken || null,
    expiresAt,
    tokenUrl: renewal?.tokenUrl || null,
    clientId: renewal?.clientId || claims.client_id || "",
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  const before = user && `${user.name} ${user.admin}`;
  user = {
    name: claims.username || claims["cognito:username"] || claims.email || claims.sub || "?",
    admin: groupsOf(claims).includes(settings.admin_group),
  };
  endedBecause = null;
  planRenewal();
  if (`${user.name} ${user.admin}` !== before) tell(null);
  return true;
}

function tell(ended) {
  for (const fn of listeners) fn(ended);
}

function planRenewal() {
  clearTimeout(renewTimer);
  if (!session?.refreshToken || !session.tokenUrl) return;
  const life = session.expiresAt - Date.now();
  renewTimer = setTimeout(renew, Math.max(0, life - Math.min(RENEW_BEFORE_MS, life / 2)));
}

/**
 * A new access token for the refresh token (one request at a time, whoever asks).
 * @returns {Promise<boolean>} whether there is one
 */
export function renew() {
  renewing ??= (async () => {
    const { tokenUrl, clientId, refreshToken } = session || {};
    if (!tokenUrl || !refreshToken) return false;
    try {
      const res = await fetch(tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken }),
      });
      return res.ok && session?.refreshToken === refreshToken && keep(await res.json(), session);
    } catch {
      return false; // unreachable: the access token serves while it lasts, then the API's 401 says so
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

/**
 * The access token to send, renewed first when it is about to expire.
 * @returns {Promise<string>}
 */
export async function accessToken() {
  if (session && session.expiresAt - Date.now() < SKEW_MS) await renew();
  return session?.token || "";
}

/**
 * The API refused `sent` (401): renew it, or end the session saying so.
 * @param {string} sent the token it refused
 * @returns {Promise<boolean>} whether to send the request again, with the new token
 */
export async function afterRefusal(sent) {
  if (!session) return false;
  if (session.token !== sent || (await renew())) return true;
  end(EXPIRED);
  return false;
}

/**
 * Forget the session (this tab). `why`, when given, is said to whoever listens.
 * @param {string | null} [why]
 */
export function end(why = null) {
  clearTimeout(renewTimer);
  session = user = null;
  endedBecause = why;
  sessionStorage.removeItem(SESSION_KEY);
  tell(why);
}

/**
 * Sign out: the refresh token is revoked, and the hosted UI's own session ended (it then sends the
 * browser back to the page).
 * @returns {boolean} whether the page is being left for the hosted UI
 */
export function signOut() {
  const { refreshToken, tokenUrl, clientId } = session || {};
  if (refreshToken && tokenUrl) {
    const body = new URLSearchParams({ token: refreshToken, client_id: clientId });
    fetch(tokenUrl.replace(/\/token$/, "/revoke"), { method: "POST", body, keepalive: true }).catch(() => {});
  }
  end();
  const cognito = settings.cognito;
  if (!cognito) return false;
  const query = new URLSearchParams({ client_id: cognito.client_id, logout_uri: location.origin + location.pathname });
  location.assign(`${cognito.domain}/logout?${query}`);
  return true;
}

/**
 * Sign in with the local stack's dev token issuer.
 * @param {string} username
 */
export async function devSignIn(username) {
  const query = new URLSearchParams({ username, expires_in: String(LOCAL_TOKEN_SECONDS) });
  const res = await fetch(`${BASE}local-issuer/dev-token?${query}`);
  if (!res.ok) throw new Error(`the local issuer answered ${res.status}`);
  if (!keep(await res.json(), { tokenUrl: `${BASE}local-issuer/oauth2/token` })) {
    throw new Error("the local issuer's token is unreadable or expired");
  }
}

const redirectUri = () => location.origin + location.pathname;

/** Cognito hosted UI, authorization code with PKCE: off to the sign-in page (the hash kept for after). */
export async function cognitoSignIn() {
  const { domain, client_id: clientId, scope } = settings.cognito;
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri(),
    scope,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${domain}/oauth2/authorize?${query}`);
}

/**
 * Back from the hosted UI with ?code=: trade it (and the verifier) for tokens; the address gets
 * its hash back. Throws what went wrong, in words.
 */
async function finishCognitoSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname + (saved?.hash || ""));
  if (params.has("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (!saved || saved.state !== params.get("state") || !settings.cognito) {
    throw new Error("the answer does not match the request. Try again.");
  }
  const { domain, client_id: clientId } = settings.cognito;
  const tokenUrl = `${domain}/oauth2/token`;
  const res = await fetch(tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: clientId,
      code: params.get("code"),
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await res.json().catch(() => ({}));
  if (!res.ok || !keep(tokens, { tokenUrl, clientId })) {
    throw new Error(tokens.error_description || tokens.error || String(res.status));
  }
}

/**
 * At start, before anyone listens: finish a sign-in coming back from the hosted UI, else take up
 * this tab's session again (renewed first if its access token has expired meanwhile).
 * @returns {Promise<string | null>} what to tell the user, if anything went wrong
 */
export async function resume() {
  try {
    await finishCognitoSignIn();
  } catch (error) {
    return `Sign-in failed: ${error.message}`;
  }
  if (user) return null;
  const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  if (!saved) return null;
  session = saved;
  const left = saved.expiresAt - Date.now();
  const { token, refreshToken: refresh_token } = saved;
  if (left > SKEW_MS ? keep({ access_token: token, refresh_token, expires_in: left / 1000 }, saved) : await renew()) {
    return null;
  }
  end(EXPIRED);
  return EXPIRED;
}
