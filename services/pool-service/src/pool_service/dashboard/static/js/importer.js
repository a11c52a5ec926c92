// Import Coupons: choose a file, upload it, poll the import until done, then show the summary.
import { ApiError, get, isUnauthorized, mutate } from "./api.js";
import { formatNumber, h, icon, sleep, toast } from "./dom.js";
import { busy, button, field, sentence } from "./ui.js";

const POLL_MS = 500;
const TEXT_TYPES = new Set(["", "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "text/tab-separated-values"]);

/** Why this file cannot be a coupon file, or null. */
export function fileProblem(file) {
  if (!file) return "Choose a file to import.";
  const named = /\.(csv|txt)$/i.test(file.name);
  if (!named || !TEXT_TYPES.has(file.type)) {
    return `“${file.name}” is not a CSV or text file. Choose a .csv file (with a header row) or a .txt file with one code per line.`;
  }
  if (file.size === 0) return `“${file.name}” is empty.`;
  return null;
}

export function renderImporter(state, onImported) {
  const file = field({
    label: "Coupon file",
    name: "file",
    required: true,
    hint: "CSV with a header naming any of code, message, pool_expires_at, user_expiration, max_assignments — or a text file with one code per line.",
    control: h("input", { type: "file", accept: ".csv,.txt,text/csv,text/plain" }),
  });
  const start = button("Start import", { kind: "primary", type: "submit", iconName: "upload" });
  const progress = h("div", { class: "progress-area", hidden: true });
  const summary = h("div", { class: "import-summary", hidden: true, dataset: { testid: "import-summary" } });
  const form = h("form", { class: "import-form", novalidate: true, onsubmit: (e) => submit(e) }, file.wrap, h("div", { class: "import-actions" }, start));
  const el = h(
    "section",
    { class: "card import-card", id: "import-panel", hidden: true, "aria-labelledby": "import-title" },
    h("div", { class: "card-head" }, h("h2", { id: "import-title", text: "Import Coupons" }), h("p", { class: "card-sub", text: "Bulk import coupon codes into this pool. Duplicates are skipped and invalid rows reported with their line numbers." })),
    form,
    progress,
    summary,
  );
  file.input.addEventListener("change", () => file.clearError());

  async function submit(event) {
    event.preventDefault();
    file.clearError();
    const chosen = file.input.files[0];
    const problem = fileProblem(chosen);
    if (problem) return file.setError(problem);
    await busy(start, "Uploading…", async () => {
      const estimate = await estimateRows(chosen);
      const body = new FormData();
      body.append("file", chosen, chosen.name);
      await state.counts.importStarting();
      let accepted;
      try {
        accepted = await mutate("POST", `/v1/pools/${encodeURIComponent(state.pool.id)}/imports`, body);
      } catch (error) {
        state.counts.importEnded(0);
        if (!isUnauthorized(error)) file.setError(uploadMessage(error));
        return;
      }
      try {
        await follow(accepted.import_id, estimate);
      } catch (error) {
        state.counts.importEnded(0);
        if (!isUnauthorized(error)) file.setError(uploadMessage(error));
      }
    });
  }

  async function follow(importId, estimate) {
    summary.hidden = true;
    const bar = h("div", { class: "progress-fill" });
    const meter = h("div", { class: "progress", role: "progressbar", "aria-label": "Import progress", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, bar);
    const label = h("p", { class: "progress-label", "aria-live": "polite", text: "Queued…" });
    progress.replaceChildren(meter, label);
    progress.hidden = false;
    const path = `/v1/pools/${encodeURIComponent(state.pool.id)}/imports/${encodeURIComponent(importId)}`;
    for (;;) {
      const status = await get(path);
      showProgress(status, estimate, meter, bar, label);
      if (status.state === "done" || status.state === "failed") return finish(status);
      await sleep(POLL_MS);
    }
  }

  function finish(status) {
    summary.replaceChildren(...summaryContent(status));
    summary.hidden = false;
    if (status.state === "done") {
      toast(`Imported ${formatNumber(status.imported)} coupons`, "success");
      file.input.value = "";
    }
    state.counts.importEnded(status.imported || 0);
    onImported();
  }

  return {
    el,
    toggle(opener) {
      el.hidden = !el.hidden;
      opener.setAttribute("aria-expanded", String(!el.hidden));
      if (!el.hidden) file.input.focus();
    },
  };
}

function showProgress(status, estimate, meter, bar, label) {
  const read = status.rows_read || 0;
  let percent = estimate ? Math.min(99, Math.round((100 * read) / estimate)) : 0;
  if (status.state === "done") percent = 100;
  bar.style.width = `${percent}%`;
  meter.setAttribute("aria-valuenow", String(percent));
  meter.dataset.state = status.state;
  const words = { queued: "Queued…", running: `Importing… ${formatNumber(read)} rows read`, done: `Done — ${formatNumber(read)} rows read`, failed: "Import failed" };
  label.textContent = words[status.state] || status.state;
}

function summaryContent(status) {
  const out = [];
  if (status.state === "failed") {
    out.push(h("div", { class: "notice notice-danger", role: "alert" }, icon("alert"), h("span", { text: sentence(status.detail || status.error || "The import failed. Nothing after the last reported row was stored; you can import the file again — duplicates are skipped.") })));
  }
  out.push(
    h(
      "dl",
      { class: "summary-grid" },
      summaryItem("Imported", status.imported, "imported", "success"),
      summaryItem("Duplicates skipped", status.duplicates, "duplicates", "neutral"),
      summaryItem("Invalid rows", status.invalid, "invalid", status.invalid ? "danger" : "neutral"),
    ),
  );
  const errors = status.errors || [];
  if (errors.length) {
    const rows = errors.map((e) => h("tr", {}, h("td", { class: "num", text: String(e.line) }), h("td", { text: e.reason })));
    out.push(
      h("h3", { class: "subhead", text: "Invalid rows" }),
      h("div", { class: "table-wrap scroll-box" }, h("table", { class: "table compact", dataset: { testid: "import-errors" } }, h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num", text: "Line" }), h("th", { scope: "col", text: "Reason" }))), h("tbody", {}, rows))),
    );
    if (status.invalid > errors.length) out.push(h("p", { class: "hint", text: `Showing the first ${formatNumber(errors.length)} of ${formatNumber(status.invalid)} invalid rows.` }));
  }
  return out;
}

function summaryItem(label, value, key, kind) {
  return h("div", { class: `summary-item summary-${kind}`, dataset: { summary: key } }, h("dt", { text: label }), h("dd", { text: formatNumber(value ?? 0) }));
}

function uploadMessage(error) {
  if (error instanceof ApiError && error.status === 413) return sentence(error.message || "The file is larger than the import limit.");
  if (error instanceof ApiError) return sentence(error.problem.errors?.[0]?.message || error.message);
  return error.message;
}

/** Rows in the file, estimated from its first 64 KiB, so the bar can show a percentage. */
async function estimateRows(file) {
  const head = await file.slice(0, 65536).text();
  const lines = head.split("\n").length - (head.endsWith("\n") ? 1 : 0);
  if (file.size <= 65536) return Math.max(lines, 1);
  return Math.max(1, Math.round((lines * file.size) / 65536));
}
