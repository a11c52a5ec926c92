// The one place that talks HTTP: auth header, problem+json errors, and riding out restarts.
import { sleep } from "./dom.js";
import { KEY_STORAGE, apiUrl, requestInit, takeEarly } from "./early.js";

const UNAVAILABLE = new Set([502, 503, 504]);

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `The request failed (HTTP ${status}).`);
    this.status = status;
    this.problem = problem || {};
  }

  /** `{field: message}` from a 422's `errors`, first message per field. */
  fieldErrors() {
    const out = {};
    for (const error of this.problem.errors || []) {
      const field = String(error.field || "").replace(/^body\./, "");
      if (!(field in out)) out[field] = String(error.message || "").replace(/^Value error, /i, "");
    }
    return out;
  }
}

export class Unreachable extends Error {
  constructor() {
    super("The Coupon Pools service cannot be reached right now. Nothing was saved — try again in a moment.");
  }
}

export const session = {
  key: () => sessionStorage.getItem(KEY_STORAGE),
  set: (key) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

const listeners = { unauthorized: [], offline: [], online: [] };
export function on(event, fn) {
  listeners[event].push(fn);
}
function emit(event, detail) {
  for (const fn of listeners[event]) fn(detail);
}

let offline = false;
let probing = false;

function markOnline() {
  if (!offline) return;
  offline = false;
  emit("online");
}

function markOffline(retryInMs) {
  offline = true;
  emit("offline", { retryInMs });
  if (!probing) probeUntilBack();
}

const backoff = (attempt) => Math.min(1000 * 2 ** attempt, 10000);

async function probeUntilBack() {
  // One probe loop at a time; it ends the outage for everybody once the API answers again.
  probing = true;
  for (let attempt = 0; offline; attempt += 1) {
    await sleep(backoff(attempt));
    if (!offline) break;
    try {
      await send("GET", "/v1/pools", { query: { limit: 1 } });
      markOnline();
    } catch (error) {
      if (error instanceof Unreachable) emit("offline", { retryInMs: backoff(attempt + 1) });
      else markOnline(); // it answered, even if with an error: it is reachable
    }
  }
  probing = false;
}

/** Retry now (the banner's button). */
export function retryNow() {
  send("GET", "/v1/pools", { query: { limit: 1 } })
    .then(markOnline)
    .catch((error) => {
      if (!(error instanceof Unreachable)) markOnline();
    });
}

async function send(method, path, { body, query, key, raw } = {}) {
  const url = apiUrl(path, query);
  const init = requestInit(method, key ?? session.key() ?? "");
  if (body !== undefined && !(body instanceof FormData)) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else {
    init.body = body;
  }
  let response;
  try {
    const early = method === "GET" && key === undefined ? takeEarly(url, session.key()) : null;
    response = await (early ?? fetch(url, init));
  } catch {
    throw new Unreachable();
  }
  if (UNAVAILABLE.has(response.status)) throw new Unreachable();
  if (response.ok) {
    if (raw) return response;
    return response.status === 204 ? null : response.json();
  }
  const problem = await response.json().catch(() => ({}));
  const error = new ApiError(response.status, problem);
  // A key given explicitly is being tried at sign-in; only the session's key expiring ends the session.
  if (response.status === 401 && key === undefined) emit("unauthorized", error);
  throw error;
}

/** GET that waits out an unreachable or restarting service, retrying with backoff. */
export async function get(path, query, { raw = false } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const result = await send("GET", path, { query, raw });
      markOnline();
      return result;
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      markOffline(backoff(attempt));
      await sleep(backoff(attempt));
    }
  }
}

/** A change: sent once. If the service is unreachable the caller says so and keeps the input. */
export async function mutate(method, path, body) {
  try {
    const result = await send(method, path, { body });
    markOnline();
    return result;
  } catch (error) {
    if (error instanceof Unreachable) markOffline(backoff(0));
    throw error;
  }
}

/** One attempt, no banner: for optional data such as the forecast. */
export function tryGet(path, query) {
  return send("GET", path, { query });
}

/** Check a key at sign-in without touching the session. */
export function checkKey(key) {
  return send("GET", "/v1/pools", { query: { limit: 1 }, key });
}

export const isUnauthorized = (error) => error instanceof ApiError && error.status === 401;
