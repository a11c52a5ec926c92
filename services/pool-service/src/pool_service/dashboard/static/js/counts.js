// Keeps the counts honest after a change made on this page.
//
// A coupon is listed as soon as the API stores it, but the counts come from the
// projector (via Kafka) a moment later. The page knows what it changed, so until
// the pool's `total` includes every coupon added here (and no import from here is
// still running) the counts are marked "Updating counts…" and the pool is re-read.
// `total` only grows with additions (claims and expiry do not touch it), so it is a
// sound "has my change been counted" signal; a removal made elsewhere meanwhile can
// keep it short, which the time limit covers ("taking longer than usual").
import { sleep } from "./dom.js";

const FIRST_POLL_MS = 300;
const MAX_POLL_MS = 2000;
const GIVE_UP_MS = 60000;

/** `onStatus("current" | "updating" | "late")` is told whenever the state changes. */
export function followCounts(state, { isAlive, onStatus }) {
  let base = null; // the pool's total before this page's pending changes; null = nothing pending
  let added = 0; // coupons added from this page since `base`
  let importsRunning = 0;
  let deadline = 0;
  let polling = false;
  let status = "current";

  const total = () => state.pool.counts?.total ?? 0;
  const counted = () => importsRunning === 0 && total() >= base + added;

  function setStatus(next) {
    if (next === status) return;
    status = next;
    onStatus(status);
  }

  function expect() {
    if (base === null) {
      base = total();
      added = 0;
    }
    deadline = Date.now() + GIVE_UP_MS;
    setStatus("updating");
    if (!polling) poll();
  }

  async function poll() {
    polling = true;
    try {
      for (let delay = FIRST_POLL_MS; ; delay = Math.min(delay * 1.5, MAX_POLL_MS)) {
        await sleep(delay);
        if (!isAlive()) return;
        await state.refreshPool();
        if (counted()) return settle("current");
        if (importsRunning === 0 && Date.now() > deadline) return settle("late");
      }
    } finally {
      polling = false;
    }
  }

  function settle(next) {
    base = null;
    added = 0;
    setStatus(next);
  }

  return {
    get status() {
      return status;
    },
    /** A coupon was stored from this page. */
    added(count) {
      expect();
      added += count;
    },
    /** Before an import is sent: the baseline must predate its first counted batch. */
    async importStarting() {
      if (base === null) await state.refreshPool();
      importsRunning += 1;
      expect();
    },
    /** The import ended (done, failed, or never accepted) having stored `imported` coupons. */
    importEnded(imported) {
      importsRunning = Math.max(0, importsRunning - 1);
      expect();
      added += imported;
    },
    /** Re-read the counts now (the "Refresh counts" action after a long wait). */
    async recheck() {
      await state.refreshPool();
      if (status === "late") setStatus("current");
    },
  };
}
