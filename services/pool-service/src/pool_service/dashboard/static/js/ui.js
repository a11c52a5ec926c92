// Form fields with their label, hint and error beside them; buttons; badges.
import { h, icon, uniqueId } from "./dom.js";

/**
 * A labelled field. `control` defaults to a text input; `setError` shows a message
 * beside the field without touching what was typed.
 */
export function field({ label, name, hint, optional = false, required = false, control, inputProps = {} }) {
  const id = uniqueId(name);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const input = control || h("input", { type: "text", autocomplete: "off", ...inputProps });
  input.id = id;
  input.name = name;
  if (required) input.setAttribute("aria-required", "true");
  input.setAttribute("aria-describedby", [hint ? hintId : null, errorId].filter(Boolean).join(" "));
  const error = h("p", { class: "field-error", id: errorId, hidden: true });
  const wrap = h(
    "div",
    { class: "field", dataset: { field: name } },
    h(
      "label",
      { for: id, class: "label" },
      label,
      required ? h("span", { class: "required", "aria-hidden": "true", text: " *" }) : null,
      optional ? h("span", { class: "optional", text: " (optional)" }) : null,
    ),
    input,
    hint ? h("p", { class: "hint", id: hintId, text: hint }) : null,
    error,
  );
  return {
    wrap,
    input,
    setError(message) {
      error.replaceChildren(icon("alert", "icon icon-sm"), document.createTextNode(message));
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
    },
    clearError() {
      error.hidden = true;
      error.replaceChildren();
      input.removeAttribute("aria-invalid");
    },
  };
}

export function button(text, { kind = "secondary", iconName, type = "button", ...props } = {}) {
  return h(
    "button",
    { type, class: `btn btn-${kind}`, ...props },
    iconName ? icon(iconName) : null,
    text ? h("span", { text }) : null,
  );
}

/** Disable a button while `work` runs, showing `busyText`. */
export async function busy(btn, busyText, work) {
  const label = btn.querySelector("span");
  const before = label?.textContent;
  // Disabling the focused button drops focus to <body>; a keyboard user gets it back after.
  const hadFocus = document.activeElement === btn;
  btn.disabled = true;
  btn.setAttribute("aria-busy", "true");
  if (label && busyText) label.textContent = busyText;
  try {
    return await work();
  } finally {
    btn.disabled = false;
    btn.removeAttribute("aria-busy");
    if (label && busyText) label.textContent = before;
    if (hadFocus && btn.isConnected && (document.activeElement === document.body || !document.activeElement)) btn.focus();
  }
}

export function badge(text, kind) {
  return h("span", { class: `badge badge-${kind}`, text });
}

/** The badge a pool deserves, if any: out of coupons, runout projected, or low stock. */
export function poolBadge(pool) {
  const active = pool.counts?.active ?? 0;
  const total = pool.counts?.total ?? 0;
  if (total === 0) return badge("No coupons yet", "neutral");
  if (active === 0) return badge("Out of coupons", "danger");
  const runout = pool.forecast?.projected_runout_at || pool.projected_runout_at;
  if (runout && new Date(runout) - Date.now() < 7 * 86400000) return badge("Runs out soon", "danger");
  if (pool.alert?.enabled && active <= pool.alert.threshold) return badge("Low stock", "warning");
  return null;
}

/** Put 422 field errors beside their fields; returns whether any field took one. */
export function showFieldErrors(error, fieldsByName) {
  let shown = false;
  for (const [name, message] of Object.entries(error.fieldErrors?.() || {})) {
    const target = fieldsByName[name] || fieldsByName[name.split(".")[0]];
    if (target) {
      target.setError(sentence(message));
      shown = true;
    }
  }
  return shown;
}

export function sentence(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return trimmed;
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
