// The sign-in screen: the Cognito hosted UI, the local stack's dev users, or a pasted token. After
// a session expired it says so first; signing in shows the page the address names, as before.

import { cognitoSignIn, currentUser, devSignIn, keep, whyEnded } from "../auth.js";
import { h } from "../lib/dom.js";
import { say } from "../lib/notice.js";
import { reroute, show } from "../page.js";
import { settings } from "../settings.js";

const DEV_USERS = ["admin", "alice"];

export async function signInView() {
  const error = h("p", { class: "field-error", id: "token-error" });
  const pasted = h("textarea", { id: "token-input", rows: 3, spellcheck: "false", "aria-describedby": "token-error" });
  const signedIn = (how) => {
    say(`Signed in as ${currentUser().name}${how}.`);
    reroute();
  };
  const devButton = (name) =>
    h(
      "button",
      {
        type: "button",
        class: name === "admin" ? "primary" : "",
        id: `sign-in-${name}`,
        onclick: async () => {
          try {
            await devSignIn(name);
            signedIn(" (local dev token)");
          } catch (failure) {
            error.textContent = `Dev sign-in failed: ${failure.message}`;
          }
        },
      },
      `Sign in as ${name}`,
    );
  const local =
    settings.local &&
    h(
      "section",
      { class: "sign-in-local", "aria-labelledby": "local-title" },
      h("h2", { id: "local-title" }, "Local stack"),
      h("p", { class: "muted" }, "The dev token issuer of the local stack signs you in as a dev user."),
      h("div", { class: "button-row" }, DEV_USERS.map(devButton)),
    );
  const cognito =
    settings.cognito &&
    h(
      "div",
      { class: "button-row" },
      h("button", { type: "button", class: "primary", id: "sign-in-cognito", onclick: cognitoSignIn }, "Sign in"),
    );
  const ended = whyEnded();
  show(
    "Sign in",
    h(
      "section",
      { class: "card sign-in" },
      h("h1", {}, ended ? "Session expired" : "Sign in to the Scheduler"),
      ended
        ? [
            h("p", { class: "session-ended", id: "session-ended", role: "alert" }, ended),
            h("p", { class: "muted" }, "Signing in brings you back to the page you were on."),
          ]
        : h("p", { class: "muted" }, "Jobs, their schedules, runs and history."),
      cognito,
      local,
      !cognito && !local && h("p", {}, "No sign-in page is configured for this console: paste an access token."),
      h(
        "form",
        {
          class: "paste-token",
          onsubmit: (event) => {
            event.preventDefault();
            if (keep({ access_token: pasted.value.trim().replace(/^Bearer\s+/i, "") }, null)) signedIn("");
            else error.textContent = "That is not a valid, unexpired JWT.";
          },
        },
        h("label", { for: "token-input" }, "Or paste an access token (JWT)"),
        pasted,
        error,
        h("button", { type: "submit" }, "Use this token"),
      ),
    ),
  );
}
