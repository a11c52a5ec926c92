// The Assigned History tab: who got which coupon, searchable, refreshable, exportable as CSV.
import { get, isUnauthorized } from "./api.js";
import { formatDateTime, h, icon, toast } from "./dom.js";
import { PAGE_SIZE, pagedTable } from "./list.js";
import { searchBox } from "./coupons.js";
import { busy, button } from "./ui.js";

export function renderAssigned(state, onRefresh) {
  const table = pagedTable({
    caption: "Assigned coupons",
    testId: "assigned-table",
    rowKey: (a) => `${a.code}|${a.email}`,
    columns: [
      { label: "Code", className: "mono", render: (a) => a.code },
      { label: "Email", render: (a) => a.email },
      { label: "Source", render: (a) => (a.source ? h("span", { class: "chip", text: a.source }) : "—") },
      { label: "Assigned At", render: (a) => formatDateTime(a.assigned_at) },
    ],
    fetchPage: (cursor, q) => get(`/v1/pools/${encodeURIComponent(state.pool.id)}/assignments`, { limit: PAGE_SIZE, cursor, q }),
    emptyText: "No coupons have been assigned from this pool yet.",
    noMatchText: (q) => `No assigned coupon matches “${q}”.`,
  });
  const search = searchBox("Search assigned coupons", "Search by email or code", (q) => table.search(q));
  const refresh = button("Refresh", { iconName: "refresh", onclick: () => busy(refresh, "Refreshing…", () => Promise.all([table.reload(), state.refreshPool(), onRefresh()])) });
  const exportCsv = button("Export CSV", { iconName: "download", onclick: () => busy(exportCsv, "Exporting…", () => download(state.pool)) });
  const el = h(
    "div",
    { class: "tab-panel" },
    h("div", { class: "panel-head" }, h("h3", { text: "Coupons that have been distributed" })),
    h("div", { class: "toolbar" }, search, h("div", { class: "toolbar-actions" }, refresh, exportCsv)),
    table.el,
    h("p", { class: "note" }, icon("check", "icon icon-sm"), "All coupons listed here have already been assigned and are no longer available for distribution."),
  );
  let loaded = false;
  return {
    el,
    shown() {
      const load = loaded ? table.revalidate() : table.reload();
      loaded = true;
      return load;
    },
    /** Load page 1 while hidden, so the first switch to this tab shows it at once. */
    prefetch() {
      if (loaded) return;
      loaded = true;
      table.reload();
    },
  };
}

/** Fetch the export with the session's key (a plain link could not send it) and save it. */
async function download(pool) {
  try {
    const response = await get(`/v1/pools/${encodeURIComponent(pool.id)}/assignments.csv`, undefined, { raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: `${slug(pool.name)}-assigned-coupons.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    if (!isUnauthorized(error)) toast(`Export failed: ${error.message}`, "error");
  }
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "pool";
}
