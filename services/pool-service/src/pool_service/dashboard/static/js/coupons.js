// The Active Coupons tab: the add form, the searchable list of unassigned coupons.
import { ApiError, get, isUnauthorized, mutate } from "./api.js";
import { debounce, formatDate, h, icon, toast } from "./dom.js";
import { PAGE_SIZE, pagedTable } from "./list.js";
import { busy, button, field, sentence, showFieldErrors } from "./ui.js";

const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/i;
const MAX_CODE = 64;
const MAX_MESSAGE = 500;

/** Client-side checks mirroring the contract, so mistakes are caught before a round trip. */
export function couponProblems({ code, message, userExpiration }) {
  const problems = {};
  if (!code) problems.code = "Enter a coupon code.";
  else if (/\s/.test(code)) problems.code = "Coupon codes cannot contain spaces or other whitespace.";
  else if (code.length > MAX_CODE) problems.code = `Use at most ${MAX_CODE} characters (this code has ${code.length}).`;
  if (message.length > MAX_MESSAGE) problems.message = `Use at most ${MAX_MESSAGE} characters (this message has ${message.length}).`;
  if (userExpiration && !DURATION.test(userExpiration)) {
    problems.user_expiration = "Use an ISO-8601 duration such as P30D (30 days), PT12H (12 hours) or P1M (1 month).";
  }
  return problems;
}

/** The end of the chosen day in the admin's time zone, as an instant. */
function endOfDay(dateText) {
  const [year, month, day] = dateText.split("-").map(Number);
  return new Date(year, month - 1, day, 23, 59, 59).toISOString();
}

export function renderActive(state) {
  const code = field({ label: "Code", name: "code", required: true, hint: "Unique in this pool, no spaces", inputProps: { placeholder: "e.g. WELCOME-7F3K", spellcheck: false } });
  const message = field({ label: "Message", name: "message", hint: "Optional: shown to the customer", inputProps: { placeholder: "e.g. 10% off your first order" } });
  const poolExpires = field({ label: "Pool Expiration", name: "pool_expires_at", hint: "Optional: last day it can be assigned", inputProps: { type: "date" } });
  const userExpiration = field({ label: "User Expiration", name: "user_expiration", hint: "Optional: validity after assignment, e.g. P30D or PT12H", inputProps: { placeholder: "P30D", spellcheck: false } });
  const fields = { code, message, pool_expires_at: poolExpires, user_expiration: userExpiration };
  const add = button("Add", { kind: "primary", type: "submit", iconName: "plus", "aria-label": "Add (+) coupon" });
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "add-form", novalidate: true, "aria-label": "Add a coupon", onsubmit: (e) => submit(e) },
    h("div", { class: "add-grid" }, code.wrap, message.wrap, poolExpires.wrap, userExpiration.wrap, h("div", { class: "add-button" }, add)),
    formError,
  );

  const table = pagedTable({
    caption: "Active coupons",
    testId: "active-table",
    rowKey: (c) => c.code,
    columns: [
      { label: "Code", className: "mono", render: (c) => c.code },
      { label: "Message", render: (c) => c.message || h("span", { class: "muted", text: "—" }) },
      { label: "Pool Expiration", render: (c) => formatDate(c.pool_expires_at) },
      { label: "User Expiration", render: (c) => c.user_expiration || "—" },
    ],
    fetchPage: (cursor, q) => get(`/v1/pools/${encodeURIComponent(state.pool.id)}/coupons`, { limit: PAGE_SIZE, cursor, q }),
    emptyText: "No active coupons. Add one above or import a file.",
    noMatchText: (q) => `No active coupon matches “${q}”.`,
  });
  const search = searchBox("Search coupons", "Search by code", (q) => table.search(q));

  const el = h(
    "div",
    { class: "tab-panel" },
    form,
    h("div", { class: "toolbar" }, search),
    table.el,
    h("p", { class: "note" }, icon("check", "icon icon-sm"), "All coupons listed here are unassigned and ready to be distributed."),
  );

  async function submit(event) {
    event.preventDefault();
    Object.values(fields).forEach((f) => f.clearError());
    formError.hidden = true;
    const values = { code: code.input.value.trim(), message: message.input.value.trim(), userExpiration: userExpiration.input.value.trim() };
    const problems = couponProblems(values);
    if (Object.keys(problems).length) {
      Object.entries(problems).forEach(([name, text]) => fields[name].setError(text));
      fields[Object.keys(problems)[0]].input.focus();
      return;
    }
    const body = { code: values.code };
    if (values.message) body.message = values.message;
    if (poolExpires.input.value) body.pool_expires_at = endOfDay(poolExpires.input.value);
    if (values.userExpiration) body.user_expiration = values.userExpiration.toUpperCase();
    await busy(add, "Adding…", async () => {
      try {
        const coupon = await mutate("POST", `/v1/pools/${encodeURIComponent(state.pool.id)}/coupons`, body);
        form.reset();
        table.prepend(coupon || body);
        toast(`Coupon ${body.code} added`, "success");
        state.counts.added(1);
        code.input.focus();
      } catch (error) {
        showAddError(error, fields, formError);
      }
    });
  }

  let loaded = false;
  let stale = false;
  return {
    el,
    shown() {
      // Shown at once from what was loaded, then brought up to date: claims move coupons away meanwhile.
      const load = !loaded || stale ? table.reload() : table.revalidate();
      loaded = true;
      stale = false;
      return load;
    },
    /** Load page 1 while hidden, so the first switch to this tab shows it at once. */
    prefetch() {
      if (loaded) return;
      loaded = true;
      table.reload();
    },
    markStale() {
      stale = true;
      if (!el.parentElement?.hidden && !el.hidden && loaded) {
        stale = false;
        table.reload();
      }
    },
  };
}

function showAddError(error, fields, formError) {
  if (isUnauthorized(error)) return;
  if (error instanceof ApiError && error.status === 409) {
    fields.code.setError(sentence(error.message));
    fields.code.input.focus();
  } else if (!(error instanceof ApiError && error.status === 422 && showFieldErrors(error, fields))) {
    formError.textContent = sentence(error.message);
    formError.hidden = false;
  }
}

export function searchBox(label, placeholder, onSearch) {
  const id = `search-${label.replace(/\W+/g, "-").toLowerCase()}`;
  const input = h("input", { type: "search", id, placeholder, autocomplete: "off", spellcheck: false });
  const run = debounce(() => onSearch(input.value), 250);
  input.addEventListener("input", run);
  input.addEventListener("keydown", (e) => e.key === "Enter" && (e.preventDefault(), onSearch(input.value)));
  return h("div", { class: "search" }, h("label", { for: id, class: "visually-hidden", text: label }), icon("search", "icon icon-sm search-icon"), input);
}
