// A table that loads one page at a time with `next_cursor`: never the whole pool.
import { ApiError, isUnauthorized } from "./api.js";
import { clear, h } from "./dom.js";
import { button } from "./ui.js";

export { PAGE_SIZE } from "./early.js";

/**
 * `fetchPage(cursor, query)` → `{items, next_cursor}`; `columns` = [{label, render(item), className}].
 * Loading the next page happens on "Load more" or when that button scrolls into view.
 */
export function pagedTable({ caption, columns, fetchPage, emptyText, noMatchText, rowKey, testId }) {
  const body = h("tbody");
  const status = h("p", { class: "list-status", role: "status", "aria-live": "polite" });
  const more = button("Load more", { kind: "ghost", class: "btn btn-ghost load-more", hidden: true, onclick: () => loadMore() });
  const table = h(
    "table",
    { class: "table", dataset: { testid: testId } },
    h("caption", { class: "visually-hidden", text: caption }),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.className, text: c.label })))),
    body,
  );
  const el = h("div", { class: "paged" }, h("div", { class: "table-wrap" }, table), status, more);
  let query = "";
  let cursor = null;
  let generation = 0;
  let loading = false;
  let inFlight = Promise.resolve();
  let count = 0;

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && cursor && !loading) loadMore();
  });
  observer.observe(more);

  function renderRow(item) {
    const row = h("tr", { dataset: { key: rowKey(item) } }, columns.map((c) => h("td", { class: c.className }, c.render(item))));
    return row;
  }

  function load(reset, quiet = false) {
    inFlight = fetchAndShow(reset, quiet);
    return inFlight;
  }

  async function fetchAndShow(reset, quiet) {
    const mine = reset ? ++generation : generation;
    loading = true;
    more.disabled = true;
    if (reset) cursor = null;
    if (reset && !quiet) {
      el.setAttribute("aria-busy", "true");
      status.textContent = "Loading…";
    }
    try {
      const page = await fetchPage(cursor, query);
      if (mine !== generation) return; // a newer search or refresh superseded this page
      if (reset) {
        clear(body);
        count = 0;
      }
      body.append(...page.items.map(renderRow));
      count += page.items.length;
      cursor = page.next_cursor || null;
      status.textContent = count === 0 ? (query ? noMatchText(query) : emptyText) : "";
      status.classList.toggle("empty", count === 0);
    } catch (error) {
      if (mine !== generation || isUnauthorized(error)) return;
      status.textContent = error instanceof ApiError ? error.message : "Could not load this list.";
    } finally {
      if (mine === generation) {
        loading = false;
        more.disabled = false;
        more.hidden = !cursor;
        el.removeAttribute("aria-busy");
      }
    }
  }

  function loadMore() {
    if (cursor && !loading) load(false);
  }

  return {
    el,
    reload: () => load(true),
    /** Fetch page 1 again while the rows on screen stay visible until it arrives; a load in flight is as fresh. */
    revalidate: () => (loading ? inFlight : load(true, true)),
    search(text) {
      query = text.trim();
      return load(true);
    },
    prepend(item) {
      body.prepend(renderRow(item));
      count += 1;
      status.textContent = "";
      status.classList.remove("empty");
    },
  };
}
