// An accessible modal dialog: labelled, focus kept inside, Escape cancels, focus returns to the opener.
import { h, icon, uniqueId } from "./dom.js";

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

export function openModal({ title, description, content, onClose }) {
  const titleId = uniqueId("modal-title");
  const descId = uniqueId("modal-desc");
  const opener = document.activeElement;
  const closeButton = h("button", { type: "button", class: "icon-btn modal-close", "aria-label": "Close", onclick: () => close() }, icon("close"));
  const dialog = h(
    "div",
    { class: "modal", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, "aria-describedby": descId },
    h("div", { class: "modal-head" }, h("h2", { id: titleId, text: title }), closeButton),
    h("p", { class: "modal-desc", id: descId, text: description }),
    content,
  );
  const backdrop = h("div", { class: "modal-backdrop", onmousedown: (e) => e.target === backdrop && close() }, dialog);
  const background = [document.querySelector(".topbar"), document.getElementById("main")];

  function onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      trapFocus(event, dialog);
    }
  }

  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    document.removeEventListener("keydown", onKey, true);
    background.forEach((el) => el && (el.inert = false));
    backdrop.remove();
    onClose?.();
    if (opener && opener.isConnected) opener.focus();
  }

  document.addEventListener("keydown", onKey, true);
  background.forEach((el) => el && (el.inert = true));
  document.body.append(backdrop);
  (dialog.querySelector("input, textarea, select") || closeButton).focus();
  return { close, dialog };
}

function trapFocus(event, dialog) {
  const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  } else if (!dialog.contains(document.activeElement)) {
    event.preventDefault();
    first.focus();
  }
}
