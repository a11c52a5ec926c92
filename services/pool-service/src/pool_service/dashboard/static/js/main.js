// Boot: sign-in gate, hash routes (#/ and #/pools/<id>[/assigned]), the connectivity banner.
import { on, retryNow, session } from "./api.js";
import { h, icon, toast } from "./dom.js";
import { parseRoute } from "./early.js";
import { renderPool } from "./pool.js";
import { renderPools } from "./pools.js";
import { renderSignIn } from "./signin.js";

const main = document.getElementById("main");
const banner = document.getElementById("banner");
let current = null; // {kind: "pools" | "pool" | "signin", view?}

function route() {
  if (!session.key()) return showSignIn();
  renderSession();
  const next = parseRoute(window.location.hash);
  if (next.kind === "pool" && current?.kind === "pool" && current.view.poolId === next.poolId) {
    current.view.showTab(next.tab);
    return;
  }
  closeModals();
  if (next.kind === "pool") {
    current = { kind: "pool", view: renderPool(main, next.poolId, next.tab) };
  } else {
    document.title = "Coupon Management";
    current = { kind: "pools" };
    renderPools(main);
  }
  window.scrollTo(0, 0);
}

function showSignIn(notice) {
  closeModals();
  current = { kind: "signin" };
  document.title = "Sign in · Coupon Management";
  renderSession();
  renderSignIn(main, { notice, onSignedIn: () => ((current = null), route()) });
}

function renderSession() {
  const host = document.getElementById("session");
  if (!session.key()) return host.replaceChildren();
  host.replaceChildren(
    h("span", { class: "session-role" }, h("span", { class: "dot", "aria-hidden": "true" }), "Admin"),
    h("button", { type: "button", class: "btn btn-ghost btn-sm", onclick: signOut, text: "Sign out" }),
  );
}

function signOut() {
  session.clear();
  showSignIn();
}

function closeModals() {
  document.querySelectorAll(".modal-backdrop").forEach((node) => node.remove());
  document.querySelectorAll("[inert]").forEach((node) => (node.inert = false));
}

on("unauthorized", () => {
  session.clear();
  // Several requests may fail together; the sign-in screen is shown once and nothing reloads.
  if (current?.kind !== "signin") showSignIn("Your admin key is no longer accepted — it may have expired or been revoked. Sign in again to continue.");
});

let wasOffline = false;
let countdown = null;
on("offline", ({ retryInMs }) => {
  wasOffline = true;
  let seconds = Math.max(1, Math.round(retryInMs / 1000));
  const text = h("span", {});
  const tick = () => (text.textContent = `Can't reach the Coupon Pools service — it may be restarting. Retrying in ${seconds} s…`);
  tick();
  clearInterval(countdown);
  countdown = setInterval(() => {
    seconds = Math.max(0, seconds - 1);
    tick();
  }, 1000);
  banner.replaceChildren(icon("wifi"), text, h("button", { type: "button", class: "btn btn-sm btn-banner", onclick: retryNow, text: "Retry now" }));
  banner.hidden = false;
});
on("online", () => {
  clearInterval(countdown);
  banner.hidden = true;
  banner.replaceChildren();
  if (wasOffline) toast("Connection restored", "success");
  wasOffline = false;
});

window.addEventListener("hashchange", route);
route();
