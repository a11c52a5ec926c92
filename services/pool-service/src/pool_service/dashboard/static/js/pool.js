// The pool details view: header with rename, Import Coupons, alerts and forecast, and the two tabs.
import { ApiError, get, isUnauthorized, mutate } from "./api.js";
import { renderAlerts } from "./alerts.js";
import { renderAssigned } from "./assigned.js";
import { renderActive } from "./coupons.js";
import { followCounts } from "./counts.js";
import { formatNumber, h, icon, toast } from "./dom.js";
import { renderImporter } from "./importer.js";
import { poolNameProblem } from "./pools.js";
import { busy, button, field, poolBadge, sentence, showFieldErrors } from "./ui.js";

const TABS = [
  { id: "active", label: "Active Coupons" },
  { id: "assigned", label: "Assigned History" },
];

export function renderPool(main, poolId, initialTab) {
  const loadingView = h("div", { class: "page", "aria-busy": "true" }, backLink(), h("div", { class: "skeleton" }, h("div", { class: "skeleton-row tall" })));
  main.replaceChildren(loadingView);
  const view = { poolId, showTab: () => {} };
  get(`/v1/pools/${encodeURIComponent(poolId)}`)
    .then((pool) => loadingView.isConnected && mount(main, pool, initialTab, view))
    .catch((error) => loadingView.isConnected && !isUnauthorized(error) && showMissing(main, error));
  return view;
}

function showMissing(main, error) {
  const text = error instanceof ApiError && error.status === 404 ? "This coupon pool does not exist (it may have been deleted)." : error.message;
  main.replaceChildren(h("div", { class: "page" }, backLink(), h("div", { class: "card empty-state" }, h("h2", { text: "Pool not found" }), h("p", { text }))));
}

function backLink() {
  return h("a", { href: "#/", class: "back-link" }, icon("back", "icon icon-sm"), "Coupon Pools");
}

function mount(main, initialPool, initialTab, view) {
  let pool = initialPool;
  const listeners = [];
  const state = {
    get pool() {
      return pool;
    },
    onPool: (fn) => listeners.push(fn),
    setPool(next) {
      pool = next;
      listeners.forEach((fn) => fn(pool));
    },
    async refreshPool() {
      try {
        state.setPool(await get(`/v1/pools/${encodeURIComponent(pool.id)}`));
      } catch {
        // the counts stay as they were; the list reload shows what changed
      }
    },
  };

  const stats = renderStats(state);
  state.counts = followCounts(state, { isAlive: () => stats.el.isConnected, onStatus: stats.showStatus });
  const importer = renderImporter(state, () => active.markStale());
  const header = renderHeader(state, importer);
  const alerts = renderAlerts(state);
  const active = renderActive(state);
  const assigned = renderAssigned(state, () => active.markStale());
  const tabs = renderTabs({ active, assigned }, initialTab);
  view.showTab = tabs.show;

  main.replaceChildren(h("div", { class: "page" }, backLink(), header, importer.el, stats.el, alerts, tabs.el));
  document.title = `${pool.name} · Coupon Management`;
  state.onPool((p) => (document.title = `${p.name} · Coupon Management`));
}

function renderHeader(state, importer) {
  const title = h("h1", { class: "pool-title", dataset: { testid: "pool-name" }, text: state.pool.name });
  const badgeHost = h("span", { class: "badge-host" }, poolBadge(state.pool));
  const edit = h("button", { type: "button", class: "icon-btn", "aria-label": "Rename pool", title: "Rename pool", onclick: () => startRename() }, icon("edit"));
  const titleRow = h("div", { class: "title-row" }, title, edit, badgeHost);
  const importButton = button("Import Coupons", {
    kind: "secondary",
    iconName: "upload",
    "aria-expanded": "false",
    "aria-controls": importer.el.id,
    onclick: () => importer.toggle(importButton),
  });
  const head = h("div", { class: "page-head" }, h("div", { class: "title-block" }, titleRow, h("p", { class: "lede mono-id", text: `Pool ID ${state.pool.id}` })), importButton);
  state.onPool((pool) => {
    title.textContent = pool.name;
    badgeHost.replaceChildren(poolBadge(pool) || "");
  });

  function startRename() {
    const name = field({ label: "Pool Name", name: "name", required: true, inputProps: { value: state.pool.name } });
    name.wrap.classList.add("field-inline");
    const save = button("Save", { kind: "primary", type: "submit" });
    const cancel = button("Cancel", { onclick: () => stop() });
    const form = h("form", { class: "rename-form", novalidate: true, onsubmit: (e) => submit(e) }, name.wrap, h("div", { class: "inline-actions" }, save, cancel));
    form.addEventListener("keydown", (e) => e.key === "Escape" && (e.preventDefault(), stop()));
    titleRow.replaceWith(form);
    name.input.focus();
    name.input.select();

    function stop() {
      form.replaceWith(titleRow);
      edit.focus();
    }

    async function submit(event) {
      event.preventDefault();
      name.clearError();
      const problem = poolNameProblem(name.input.value);
      if (problem) return name.setError(problem);
      const next = name.input.value.trim();
      if (next === state.pool.name) return stop();
      await busy(save, "Saving…", async () => {
        try {
          state.setPool(await mutate("PATCH", `/v1/pools/${encodeURIComponent(state.pool.id)}`, { name: next }));
          stop();
          toast("Pool renamed", "success");
        } catch (error) {
          if (isUnauthorized(error)) return;
          if (!(error instanceof ApiError && error.status === 422 && showFieldErrors(error, { name }))) name.setError(sentence(error.message));
          name.input.focus();
        }
      });
    }
  }
  return head;
}

function renderStats(state) {
  const tiles = [
    ["active", "Active", "Ready to be distributed"],
    ["assigned", "Assigned", "Handed to customers"],
    ["expired", "Expired", "Past their pool expiration"],
    ["total", "Total", "Every code in the pool"],
  ].map(([key, label, sub]) => {
    const value = h("p", { class: "stat-value", dataset: { stat: key } });
    return { key, value, el: h("div", { class: `stat stat-${key}` }, h("p", { class: "stat-label", text: label }), value, h("p", { class: "stat-sub", text: sub })) };
  });
  const update = (pool) => tiles.forEach((t) => (t.value.textContent = formatNumber(pool.counts?.[t.key] ?? 0)));
  update(state.pool);
  state.onPool(update);
  const status = h("div", { class: "counts-status", role: "status", "aria-live": "polite", dataset: { testid: "counts-status" } });
  const el = h("section", { class: "stats", "aria-label": "Coupon counts" }, tiles.map((t) => t.el), status);

  function showStatus(next) {
    el.toggleAttribute("aria-busy", next === "updating");
    el.dataset.counts = next;
    if (next === "updating") {
      status.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), "Updating counts… they follow each change within a few seconds.");
    } else if (next === "late") {
      const again = h("button", { type: "button", class: "btn-link", text: "Refresh counts", onclick: () => state.counts.recheck() });
      status.replaceChildren(icon("alert", "icon icon-sm"), "Counts are taking longer than usual to update. ", again);
    } else {
      status.replaceChildren();
    }
  }
  return { el, showStatus };
}

function renderTabs(panels, initialTab) {
  const buttons = {};
  const list = h("div", { class: "tabs", role: "tablist", "aria-label": "Coupons" });
  const bodies = h("div", { class: "tab-bodies" });
  for (const tab of TABS) {
    const panel = panels[tab.id];
    const btn = h(
      "button",
      { type: "button", role: "tab", id: `tab-${tab.id}`, class: "tab", "aria-controls": `panel-${tab.id}`, onclick: () => show(tab.id, true), onkeydown: (e) => arrows(e, tab.id) },
      tab.label,
    );
    buttons[tab.id] = btn;
    list.append(btn);
    panel.el.id = `panel-${tab.id}`;
    panel.el.setAttribute("role", "tabpanel");
    panel.el.setAttribute("aria-labelledby", btn.id);
    // Not a tab stop of its own: each panel starts with a focusable control (WAI-ARIA tabs pattern).
    bodies.append(panel.el);
  }

  function show(id, fromUser = false) {
    for (const tab of TABS) {
      const selected = tab.id === id;
      buttons[tab.id].setAttribute("aria-selected", String(selected));
      buttons[tab.id].tabIndex = selected ? 0 : -1;
      panels[tab.id].el.hidden = !selected;
    }
    const load = panels[id].shown();
    if (fromUser) {
      // The address follows the tab without re-rendering the view.
      const base = window.location.hash.replace(/\/assigned$/, "");
      history.replaceState(null, "", id === "assigned" ? `${base}/assigned` : base);
    }
    return Promise.resolve(load);
  }

  function arrows(event, id) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const index = TABS.findIndex((t) => t.id === id);
    const next = TABS[(index + (event.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length].id;
    show(next, true);
    buttons[next].focus();
  }

  const first = initialTab === "assigned" ? "assigned" : "active";
  // Once the first tab's list is in, the other tab's first page is fetched in the background.
  show(first).finally(() => TABS.filter((t) => t.id !== first).forEach((t) => panels[t.id].prefetch()));
  return { el: h("section", { class: "card tabs-card" }, list, bodies), show };
}

