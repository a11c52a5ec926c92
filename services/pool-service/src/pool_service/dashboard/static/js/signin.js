// Sign-in: ask once for an admin key, keep it in sessionStorage for this tab.
import { ApiError, Unreachable, checkKey, session } from "./api.js";
import { h, icon } from "./dom.js";
import { busy, button, field } from "./ui.js";

export function renderSignIn(main, { notice, onSignedIn }) {
  const key = field({
    label: "Admin API key",
    name: "api-key",
    required: true,
    hint: "Running it locally? “make run” prints a development admin key.",
    inputProps: { type: "password", autocomplete: "current-password", spellcheck: false },
  });
  const submit = button("Sign in", { kind: "primary", type: "submit", class: "btn btn-primary btn-block" });
  const form = h("form", { class: "signin-form", novalidate: true, onsubmit: (e) => signIn(e) }, key.wrap, submit);

  async function signIn(event) {
    event.preventDefault();
    key.clearError();
    const value = key.input.value.trim();
    if (!value) {
      key.setError("Enter your admin API key.");
      key.input.focus();
      return;
    }
    await busy(submit, "Checking…", async () => {
      try {
        await checkKey(value);
        session.set(value);
        onSignedIn();
      } catch (error) {
        key.setError(signInMessage(error));
        key.input.focus();
      }
    });
  }

  main.replaceChildren(
    h(
      "section",
      { class: "signin", "aria-labelledby": "signin-title" },
      h("div", { class: "signin-mark" }, icon("ticket", "icon icon-lg")),
      h("h1", { id: "signin-title", text: "Sign in to Coupon Management" }),
      h("p", { class: "lede", text: "Use an admin API key to manage coupon pools. It is kept only for this browser tab." }),
      notice ? h("div", { class: "notice notice-warning", role: "alert" }, icon("alert"), h("span", { text: notice })) : null,
      form,
    ),
  );
  key.input.focus();
}

function signInMessage(error) {
  if (error instanceof Unreachable) return "The Coupon Pools service cannot be reached. Check that it is running and try again.";
  if (error instanceof ApiError && error.status === 403) {
    return "This key is not an admin key (it looks like a storefront key). The dashboard needs an admin key.";
  }
  if (error instanceof ApiError && error.status === 401) return "This key is not recognised. Check it and try again.";
  return error.message;
}
