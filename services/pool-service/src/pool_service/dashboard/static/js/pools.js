// The Coupon Management dashboard: the Coupon Pools section, Create Pool, the empty state.
import { ApiError, Unreachable, get, isUnauthorized, mutate } from "./api.js";
import { formatDate, formatNumber, h, icon, toast } from "./dom.js";
import { PAGE_SIZE } from "./list.js";
import { openModal } from "./modal.js";
import { busy, button, field, poolBadge, sentence, showFieldErrors } from "./ui.js";

export const MAX_POOL_NAME = 100;

export function renderPools(main) {
  const createTop = button("Create Pool", { kind: "primary", iconName: "plus", dataset: { testid: "create-pool" }, onclick: () => openCreatePool(onCreated) });
  const listHost = h("div", { class: "pool-list-host", "aria-busy": "true" }, skeleton());
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "pools-title" },
    h("div", { class: "card-head" }, h("h2", { id: "pools-title", text: "Coupon Pools" }), h("p", { class: "card-sub", text: "Each pool groups coupon codes for one campaign or audience." })),
    listHost,
  );
  main.replaceChildren(
    h(
      "div",
      { class: "page" },
      h(
        "div",
        { class: "page-head" },
        h("div", {}, h("h1", { text: "Coupon Management" }), h("p", { class: "lede", text: "Create, organize, and track coupon codes using coupon pools." })),
        createTop,
      ),
      section,
    ),
  );

  let table = null;
  let cursor = null;
  const more = button("Load more pools", { kind: "ghost", class: "btn btn-ghost load-more", hidden: true, onclick: () => loadPage() });
  const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && cursor && !more.disabled && loadPage());

  async function loadPage() {
    more.disabled = true;
    try {
      const page = await get("/v1/pools", { limit: PAGE_SIZE, cursor });
      if (!listHost.isConnected) return;
      if (!table && page.items.length === 0) return showEmpty();
      if (!table) table = showTable();
      table.tBodies[0].append(...page.items.map(poolRow));
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
    } catch (error) {
      if (!isUnauthorized(error)) listHost.replaceChildren(h("p", { class: "list-status", text: error.message }));
    } finally {
      more.disabled = false;
      listHost.removeAttribute("aria-busy");
    }
  }

  function showEmpty() {
    listHost.replaceChildren(
      h(
        "div",
        { class: "empty-state", dataset: { testid: "empty-state" } },
        h("div", { class: "empty-mark" }, icon("ticket", "icon icon-xl")),
        h("h3", { text: "No coupon pools yet" }),
        h("p", { text: "A coupon pool groups codes for one purpose — a welcome discount, abandoned carts, VIP users. Create your first pool to get started." }),
        button("Create Pool", { kind: "primary", iconName: "plus", dataset: { testid: "empty-create-pool" }, onclick: () => openCreatePool(onCreated) }),
      ),
    );
  }

  function showTable() {
    const t = h(
      "table",
      { class: "table table-pools", dataset: { testid: "pool-table" } },
      h("caption", { class: "visually-hidden", text: "Coupon pools, newest first" }),
      h("thead", {}, h("tr", {}, ["Name", "Active", "Assigned", "Status", "Created"].map((label, i) => h("th", { scope: "col", class: i === 1 || i === 2 ? "num" : "", text: label })))),
      h("tbody"),
    );
    listHost.replaceChildren(h("div", { class: "table-wrap" }, t), more);
    observer.observe(more);
    return t;
  }

  function onCreated(pool) {
    if (!table) table = showTable();
    const row = poolRow(pool);
    row.classList.add("just-added");
    table.tBodies[0].prepend(row);
    toast(`Pool “${pool.name}” created`, "success");
  }

  loadPage();
}

function poolRow(pool) {
  const link = h("a", { href: `#/pools/${encodeURIComponent(pool.id)}`, class: "pool-link", text: pool.name });
  const row = h(
    "tr",
    { class: "clickable", dataset: { poolId: pool.id, testid: "pool-row" }, onclick: (e) => e.target !== link && link.click() },
    h("td", {}, link),
    h("td", { class: "num", dataset: { count: "active" }, text: formatNumber(pool.counts?.active) }),
    h("td", { class: "num", dataset: { count: "assigned" }, text: formatNumber(pool.counts?.assigned) }),
    h("td", {}, poolBadge(pool) || h("span", { class: "muted", text: "Healthy" })),
    h("td", { class: "muted", text: formatDate(pool.created_at) }),
  );
  return row;
}

function skeleton() {
  return h("div", { class: "skeleton" }, [1, 2, 3].map(() => h("div", { class: "skeleton-row" })));
}

/** The rules the API enforces, checked first so the message is immediate; the API has the last word. */
export function poolNameProblem(raw) {
  const name = raw.trim();
  if (!name) return "Enter a name for the pool.";
  if (name.length > MAX_POOL_NAME) return `Use at most ${MAX_POOL_NAME} characters (this name has ${name.length}).`;
  return null;
}

export function openCreatePool(onCreated) {
  const name = field({
    label: "Pool Name",
    name: "name",
    required: true,
    hint: "A clear, descriptive name for the campaign or audience, e.g. “Welcome discount” or “VIP users”.",
  });
  const submit = button("Create Pool", { kind: "primary", type: "submit" });
  const cancel = button("Cancel", { onclick: () => modal.close() });
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h("form", { novalidate: true, onsubmit: (e) => create(e) }, name.wrap, formError, h("div", { class: "modal-actions" }, cancel, submit));
  const modal = openModal({ title: "Create Coupon Pool", description: "Enter a name for your new coupon pool", content: form });

  async function create(event) {
    event.preventDefault();
    name.clearError();
    formError.hidden = true;
    const problem = poolNameProblem(name.input.value);
    if (problem) {
      name.setError(problem);
      name.input.focus();
      return;
    }
    await busy(submit, "Creating…", async () => {
      try {
        const pool = await mutate("POST", "/v1/pools", { name: name.input.value.trim() });
        modal.close();
        onCreated(pool);
      } catch (error) {
        showCreateError(error, name, formError);
      }
    });
  }
}

function showCreateError(error, name, formError) {
  if (isUnauthorized(error)) return;
  if (error instanceof ApiError && (error.status === 409 || (error.status === 422 && !showFieldErrors(error, { name })))) {
    name.setError(sentence(error.message));
  } else if (!(error instanceof ApiError) || error.status !== 422) {
    formError.textContent = error instanceof Unreachable ? error.message : sentence(error.message);
    formError.hidden = false;
  }
  name.input.focus();
}
