// The two encodings sign-in needs: base64url (PKCE's verifier and challenge) and a JWT's claims.
// The claims are read, not verified: the API's authorizer verifies every token it is sent.

/**
 * Bytes as base64url, without padding.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * The claims of a JWT (its middle part), or null when it is not one.
 * @param {string} token
 * @returns {Record<string, any> | null}
 */
export function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}
