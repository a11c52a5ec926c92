// Loaded on its own (`async`, no imports), so it runs while the other modules are still
// arriving: it sends the first view's GET requests at once, and api.js answers the
// view's identical first calls from them. A cold first visit then waits for the
// modules and the data side by side instead of one after the other.
// The URL, key and query rules live here so both sides build the same requests.

export const KEY_STORAGE = "coupon-dashboard.admin-key";
export const API_BASE = (document.querySelector('meta[name="api-base"]')?.content || "").replace(/\/+$/, "");
export const PAGE_SIZE = 50;

/** `#/` → the pool list; `#/pools/<id>[/assigned]` → that pool and tab. */
export function parseRoute(hash) {
  const match = hash.match(/^#\/pools\/([^/]+)(\/assigned)?$/);
  return match ? { kind: "pool", poolId: decodeURIComponent(match[1]), tab: match[2] ? "assigned" : "active" } : { kind: "pools" };
}

export function apiUrl(path, query) {
  const url = new URL(API_BASE + path, window.location.href);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  return url;
}

export const requestInit = (method, key) => ({
  method,
  headers: { Authorization: `Bearer ${key}`, Accept: "application/json" },
  cache: "no-store",
});

function firstViewRequests(route) {
  if (route.kind === "pools") return [apiUrl("/v1/pools", { limit: PAGE_SIZE })];
  const pool = `/v1/pools/${encodeURIComponent(route.poolId)}`;
  const [shown, other] = route.tab === "assigned" ? ["assignments", "coupons"] : ["coupons", "assignments"];
  // The other tab's first page too: the view fetches it in the background anyway, and
  // starting it now means a quick first switch finds it (nearly) there.
  return [apiUrl(pool), apiUrl(`${pool}/${shown}`, { limit: PAGE_SIZE }), apiUrl(`${pool}/${other}`, { limit: PAGE_SIZE })];
}

const early = new Map(); // url → {key, response: Promise<Response>}
const key = sessionStorage.getItem(KEY_STORAGE);
if (key) {
  for (const url of firstViewRequests(parseRoute(window.location.hash))) {
    const response = fetch(url, requestInit("GET", key));
    response.catch(() => {}); // a failure is reported to whoever takes it, not as unhandled
    early.set(url.href, { key, response });
  }
}

/** The response of an early GET to exactly this URL with this key, once; otherwise null. */
export function takeEarly(url, key) {
  const found = early.get(url.href);
  early.delete(url.href);
  return found && found.key === key ? found.response : null;
}
