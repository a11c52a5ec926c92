// Coupon Availability Alerts: the toggle and threshold (saved with PATCH), and the alert service's forecast.
import { ApiError, isUnauthorized, mutate, tryGet } from "./api.js";
import { debounce, formatDate, formatDateTime, formatNumber, h, icon, uniqueId } from "./dom.js";
import { busy, button, field, sentence, showFieldErrors } from "./ui.js";

const KIND_LABELS = { low_stock: "Low stock", runout_projected: "Runout projected", depleted: "Depleted" };

export function renderAlerts(state) {
  const toggleId = uniqueId("alert-enabled");
  const toggle = h("input", { type: "checkbox", id: toggleId, role: "switch", class: "switch-input", checked: state.pool.alert?.enabled });
  const threshold = field({
    label: "Threshold",
    name: "threshold",
    inputProps: { type: "number", min: "0", step: "1", inputMode: "numeric", value: String(state.pool.alert?.threshold ?? 0) },
  });
  threshold.wrap.classList.add("field-threshold");
  const setButton = button("Set threshold", { kind: "secondary", type: "submit" });
  const saved = h("span", { class: "saved-status", role: "status", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "alert-form", novalidate: true, onsubmit: (e) => saveThreshold(e) },
    h(
      "div",
      { class: "alert-sentence" },
      h("label", { class: "switch", for: toggleId }, toggle, h("span", { class: "switch-track", "aria-hidden": "true" }), h("span", { class: "switch-label", text: "Alert when coupons drop below" })),
      threshold.wrap,
      h("span", { class: "unit", text: "coupons" }),
      setButton,
      saved,
    ),
  );
  toggle.addEventListener("change", () => saveEnabled());
  const forecast = h("div", { class: "forecast", dataset: { testid: "forecast" } }, h("p", { class: "muted", text: "Loading forecast…" }));
  const el = h(
    "section",
    { class: "card alerts-card", "aria-labelledby": "alerts-title" },
    h("div", { class: "card-head" }, h("h2", { id: "alerts-title" }, icon("bell"), "Coupon Availability Alerts")),
    h("div", { class: "alerts-grid" }, h("div", {}, form, h("p", { class: "hint alert-help", text: "Set threshold: the minimum number of coupons before an alert is triggered. Alerts are triggered automatically if the pool is projected to run out within 7 days (based on usage rate) or when no coupons remain." })), forecast),
  );

  state.onPool((pool) => {
    toggle.checked = Boolean(pool.alert?.enabled);
  });

  async function saveEnabled() {
    const enabled = toggle.checked;
    saved.textContent = "";
    try {
      state.setPool(await patchAlert(state, { enabled }));
      flash(saved, enabled ? "Alerts on" : "Alerts off");
    } catch (error) {
      toggle.checked = !enabled;
      if (!isUnauthorized(error)) flash(saved, sentence(error.message), true);
    }
  }

  async function saveThreshold(event) {
    event.preventDefault();
    threshold.clearError();
    const raw = threshold.input.value.trim();
    if (!/^\d+$/.test(raw)) return threshold.setError("Enter a whole number of coupons, 0 or more.");
    await busy(setButton, "Saving…", async () => {
      try {
        state.setPool(await patchAlert(state, { threshold: Number(raw) }));
        flash(saved, "Threshold saved");
      } catch (error) {
        if (isUnauthorized(error)) return;
        const fields = { threshold, "alert.threshold": threshold };
        if (!(error instanceof ApiError && showFieldErrors(error, fields))) threshold.setError(sentence(error.message));
      }
    });
  }

  // The forecast follows the alert settings (re-read at once) and the counts (re-read once
  // they settle: they are re-read every few seconds while an import runs).
  let seen = { alert: JSON.stringify(state.pool.alert), counts: JSON.stringify(state.pool.counts) };
  const reloadForecast = () => loadForecast(state.pool.id, forecast);
  const reloadWhenSettled = debounce(reloadForecast, 3000);
  reloadForecast();
  state.onPool((pool) => {
    const next = { alert: JSON.stringify(pool.alert), counts: JSON.stringify(pool.counts) };
    if (next.alert !== seen.alert) reloadForecast();
    else if (next.counts !== seen.counts) reloadWhenSettled();
    seen = next;
  });
  return el;
}

function patchAlert(state, alert) {
  return mutate("PATCH", `/v1/pools/${encodeURIComponent(state.pool.id)}`, { alert });
}

function flash(node, text, isError = false) {
  node.textContent = text;
  node.classList.toggle("error", isError);
  node.classList.add("visible");
  clearTimeout(node.timer);
  node.timer = setTimeout(() => node.classList.remove("visible"), 4000);
}

async function loadForecast(poolId, host) {
  let data;
  try {
    data = await tryGet(`/v1/pools/${encodeURIComponent(poolId)}/forecast`);
  } catch (error) {
    if (!isUnauthorized(error)) host.replaceChildren(...unavailable());
    return;
  }
  const alerts = data.recent_alerts || data.alerts || [];
  host.replaceChildren(
    h("h3", { class: "subhead" }, icon("chart", "icon icon-sm"), "Forecast"),
    h(
      "dl",
      { class: "forecast-grid" },
      h("div", {}, h("dt", { text: "Usage per day" }), h("dd", { text: typeof data.usage_per_day === "number" ? formatNumber(Math.round(data.usage_per_day * 10) / 10) : "—" })),
      h("div", {}, h("dt", { text: "Projected runout" }), h("dd", { text: data.projected_runout_at ? formatDate(data.projected_runout_at) : "Not projected" })),
    ),
    h("h4", { class: "minor", text: "Recent alerts" }),
    alerts.length
      ? h("ul", { class: "alert-list" }, alerts.slice(0, 5).map((a) => h("li", {}, h("span", { class: `badge badge-${a.kind === "low_stock" ? "warning" : "danger"}`, text: KIND_LABELS[a.kind] || a.kind }), h("span", { class: "muted", text: ` ${formatDateTime(a.raised_at)} · ${formatNumber(a.active)} left` }))))
      : h("p", { class: "muted", text: "No alerts raised." }),
  );
}

function unavailable() {
  return [
    h("h3", { class: "subhead" }, icon("chart", "icon icon-sm"), "Forecast"),
    h("p", { class: "muted", dataset: { testid: "forecast-unavailable" }, text: "Forecast unavailable — usage per day, projected runout date and recent alerts appear here once the alert service reports on this pool." }),
  ];
}
