"""Dashboard benchmark in Debian's Chromium: first paint with many pools, tab switches in a big pool.

Run against a private stack (prints figures, asserts nothing):

    make bench BENCH=dashboard_bench BENCH_ARGS="--pools 1000 --codes 1000000"

It starts pool-service and assignment-service as subprocesses on a fresh database,
creates the pools over HTTP (concurrently), fills the big pool through the import
API in files of ``--chunk`` codes, and claims a few coupons through the assignment
service. It measures in the browser — p50 / p95 / max over several runs, each in a
new browser context (cold page, nothing cached) — the first paint of the pool list,
and the tab switches at each size of ``--stages`` on the way to ``--codes``, so the
figures show whether a bigger pool costs more. Filling stops when ``--fill-minutes``
runs out (imports crawl on a loaded machine); the last figures then say which size
they were taken at. Beside each browser figure is the API part of it (Resource
Timing of the list request), so a miss can be placed.
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.conftest import ADMIN_KEY, CHROMIUM, CHROMIUM_ARGS, STOREFRONT_KEY, service_env
from tests.browser.dashboard_host import dashboard_host, serves_dashboard
from tests.support import stack
from tests.support.processes import ServiceProcess, python_module
from tests.support.random_refs import random_db_name, random_email

SETUP_WORKERS = 8
SERVICE_PREFIXES = ("POOL_SERVICE_", "ASSIGNMENT_SERVICE_")
# Times the first pool row appears, measured inside the page from navigation start.
FIRST_ROW_PROBE = """
new MutationObserver((_, observer) => {
  if (document.querySelector('[data-testid=pool-row]')) {
    window.__firstRowAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""
# Click a tab, wait until its list shows rows (or its empty/no-match text) and is not busy.
# Returns the time from the click and, when the switch fetched the list, that request's duration.
TAB_SWITCH = """
async ([tab, endpoint]) => {
  const start = performance.now();
  document.getElementById(`tab-${tab}`).click();
  await new Promise((resolve) => {
    setTimeout(resolve, 60000); // a service that never answers is recorded as 60 s, not waited for forever
    const settled = () => {
      const list = document.querySelector(`#panel-${tab} .paged`);
      const status = list && list.querySelector('.list-status');
      const filled = list && (list.querySelector('tbody tr') || status.textContent);
      if (filled && !list.hasAttribute('aria-busy')) resolve();
      else requestAnimationFrame(settled);
    };
    settled();
  });
  const shown = performance.now() - start;
  const fetched = performance.getEntriesByType('resource')
    .filter((e) => e.name.includes(endpoint) && e.startTime >= start)
    .filter((e) => e.responseEnd > 0 && e.responseEnd <= start + shown + 1);
  return [shown, fetched.length ? fetched[fetched.length - 1].duration : null];
}
"""
# Where a first visit's time goes, in ms from navigation start (browser devtools' Timing, read in the page).
FIRST_VISIT_TIMELINE = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const modules = resources.filter((e) => e.name.includes('/js/'));
  const list = resources.find((e) => e.name.includes('/v1/pools?limit=50'));
  return {
    'page (HTML) received': nav.responseEnd,
    'last module received': Math.max(nav.responseEnd, ...modules.map((e) => e.responseEnd)),
    'modules run (DOMContentLoaded)': nav.domContentLoadedEventEnd,
    'pool list requested': list ? list.startTime : null,
    'pool list received': list ? list.responseEnd : null,
  };
}
"""


@contextmanager
def services(log_dir: Path) -> Iterator[tuple[str, str, str]]:
    db = random_db_name()
    kafka, mongo = stack.kafka_bootstrap(), stack.mongo_url()
    ports = stack.free_port(), stack.free_port(), stack.free_port()
    pool_env = service_env("POOL_SERVICE_", ports[0], db, kafka, mongo)
    assignment_env = service_env("ASSIGNMENT_SERVICE_", ports[1], db, kafka, mongo)
    with ExitStack() as stop:
        pool = ServiceProcess("pool-service", python_module("pool_service"), pool_env, log_dir)
        stop.callback(pool.stop)
        assignment = ServiceProcess("assignment-service", python_module("assignment_service"), assignment_env, log_dir)
        stop.callback(assignment.stop)
        pool_url, assignment_url = f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
        pool.wait_ready(f"{pool_url}/readyz")
        assignment.wait_ready(f"{assignment_url}/readyz")
        if serves_dashboard(pool_url):
            yield pool_url, assignment_url, pool_url
        else:
            with dashboard_host(pool_url, ports[2]) as dashboard_url:
                yield pool_url, assignment_url, dashboard_url


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def timed(label: str, action: Callable[[], object]) -> None:
    started = time.perf_counter()
    action()
    say(f"setup: {label} in {time.perf_counter() - started:.1f} s")


def admin_client(pool_url: str) -> httpx.Client:
    limits = httpx.Limits(max_connections=SETUP_WORKERS)
    return httpx.Client(base_url=pool_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60, limits=limits)


def create_pool(api: httpx.Client, name: str, attempts: int = 5) -> None:
    """Create one pool; a retry after a timeout may find the name already taken by its own first try."""
    for attempt in range(attempts):
        try:
            answer = api.post("/v1/pools", json={"name": name})
        except httpx.TransportError:
            time.sleep(1 + attempt)
            continue
        if answer.status_code == 201 or (answer.status_code == 409 and attempt > 0):
            return
        answer.raise_for_status()
    raise RuntimeError(f"could not create pool {name!r} in {attempts} attempts")


def create_pools(api: httpx.Client, count: int) -> None:
    with ThreadPoolExecutor(SETUP_WORKERS) as workers:
        list(workers.map(lambda i: create_pool(api, f"bench pool {i:05d}"), range(count)))


def import_codes(api: httpx.Client, pool_id: str, numbers: range, work_dir: Path) -> None:
    upload = work_dir / "codes.txt"
    with upload.open("w") as out:
        out.writelines(f"BENCH-{i:09d}\n" for i in numbers)
    with upload.open("rb") as body:
        files = {"file": ("codes.txt", body, "text/plain")}
        answer = api.post(f"/v1/pools/{pool_id}/imports", files=files, timeout=600)
    answer.raise_for_status()
    import_id = answer.json()["import_id"]
    started, slowest, last_said = time.monotonic(), 0.0, 0.0
    while (status := import_status(api, pool_id, import_id))["state"] not in ("done", "failed"):
        slowest = max(slowest, status["answered_in"])
        elapsed = time.monotonic() - started
        if elapsed - last_said >= 30:
            last_said = elapsed
            say(f"import: {status.get('rows_read', 0):,} rows read after {elapsed:.0f} s")
        time.sleep(1)
    elapsed = time.monotonic() - started
    imported, read = status["imported"], status["rows_read"]
    say(f"import: {status['state']}, {imported:,} imported of {read:,} rows in {elapsed:.0f} s")
    say(f"import: {status['imported'] / max(elapsed, 0.001):,.0f} codes/s; slowest progress answer {slowest:.1f} s")


def import_status(api: httpx.Client, pool_id: str, import_id: str) -> dict[str, Any]:
    """The import's progress, and how long the service took to answer (what the progress bar waits)."""
    started = time.monotonic()
    try:
        status: dict[str, Any] = api.get(f"/v1/pools/{pool_id}/imports/{import_id}", timeout=300).json()
    except httpx.TransportError:
        status = {"state": "unanswered"}
    status["answered_in"] = time.monotonic() - started
    return status


def claim_some(assignment_url: str, pool_id: str, count: int, budget_s: float = 300) -> int:
    """Claims through the assignment service's HTTP API, a few at a time, within a time budget."""
    headers = {"Authorization": f"Bearer {STOREFRONT_KEY}"}
    deadline = time.monotonic() + budget_s
    with httpx.Client(base_url=assignment_url, headers=headers, timeout=60) as client:

        def claim(_: int) -> bool:
            body = {"email": random_email(), "source": "bench"}
            while time.monotonic() < deadline:
                try:
                    answer = client.post(f"/v1/pools/{pool_id}/claims", json=body)
                except httpx.TransportError:
                    continue  # the same email again: a retry cannot assign twice
                return answer.status_code in (200, 201)
            return False

        with ThreadPoolExecutor(SETUP_WORKERS) as workers:
            return sum(workers.map(claim, range(count)))


def wait_for_history(api: httpx.Client, pool_id: str, claimed: int, timeout: float = 300) -> None:
    # Assigned History is fed from coupon.assigned: wait for the claims to arrive, then measure anyway.
    deadline = time.monotonic() + timeout
    while (shown := history_rows(api, pool_id)) < claimed:
        if time.monotonic() > deadline:
            say(f"WARNING: {shown} of {claimed} assignments reached Assigned History within {timeout:.0f} s")
            return
        time.sleep(2)


def history_rows(api: httpx.Client, pool_id: str) -> int:
    try:
        counts = api.get(f"/v1/pools/{pool_id}").json()["counts"]
    except (httpx.TransportError, KeyError):
        return 0
    return int(counts.get("assigned", 0))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    p50, p95 = statistics.median(samples), percentile(samples, 0.95)
    return f"p50 {p50:4.0f} ms, p95 {p95:4.0f} ms, max {max(samples):4.0f} ms"


def report(label: str, samples: list[float], bar_ms: float | None, api_samples: list[float | None]) -> None:
    verdict = ""
    if bar_ms is not None:
        verdict = f"  ({'within' if max(samples) <= bar_ms else 'OVER'} the {bar_ms:.0f} ms bar at max)"
    print(f"{label:<58} {summary(samples)} over {len(samples)} runs{verdict}")
    fetched = [s for s in api_samples if s is not None]
    if fetched:
        print(f"{'    of which the list request':<58} {summary(fetched)} ({len(fetched)} fetched)")


def wait_until_quiet(api: httpx.Client, pool_id: str, budget_s: float = 300, quick_ms: float = 250) -> None:
    """Wait until the service answers a pool read quickly three times in a row.

    After a burst of set-up (pools, imports, claims) pool-service and FerretDB may be
    busy for a while (projecting, relaying); a figure taken then measures that backlog,
    not the dashboard. Either way the latency it saw is printed next to the figures.
    """
    started, answers = time.monotonic(), []
    while time.monotonic() - started < budget_s:
        before = time.monotonic()
        with suppress(httpx.TransportError):
            api.get(f"/v1/pools/{pool_id}", timeout=120)
        answers.append((time.monotonic() - before) * 1000)
        if len(answers) >= 3 and max(answers[-3:]) < quick_ms:
            say(f"service quiet after {time.monotonic() - started:.0f} s (last pool reads {fmt_ms(answers[-3:])})")
            return
        time.sleep(1)
    say(
        f"WARNING: service still busy after {budget_s:.0f} s (last pool reads {fmt_ms(answers[-3:])}); measuring anyway"
    )


def fmt_ms(samples: list[float]) -> str:
    return ", ".join(f"{s:.0f} ms" for s in samples)


def signed_in_page(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(180_000)
    page.add_init_script(f"sessionStorage.setItem('coupon-dashboard.admin-key', '{ADMIN_KEY}')")
    page.add_init_script(FIRST_ROW_PROBE)
    return page


def measure_first_paint(browser: Browser, dashboard_url: str, runs: int) -> None:
    """Each run: a first visit in a new browser context (nothing cached), then a repeat visit in it."""
    visits = {"first visit": FirstPaints(), "repeat visit (assets cached)": FirstPaints()}
    for _ in range(runs):
        page = signed_in_page(browser)
        for paints in visits.values():
            page.goto(dashboard_url + "/")
            page.wait_for_selector("[data-testid=pool-row]")
            paints.record(page)
        page.context.close()
    for label, paints in visits.items():
        paints.report(label)


class FirstPaints:
    def __init__(self) -> None:
        self.first_paint: list[float] = []
        self.first_rows: list[float] = []
        self.list_request: list[float | None] = []
        self.timeline: dict[str, list[float]] = {}

    def record(self, page: Page) -> None:
        self.first_rows.append(page.evaluate("window.__firstRowAt"))
        self.first_paint.append(page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime"))
        moments: dict[str, float | None] = page.evaluate(FIRST_VISIT_TIMELINE)
        for moment, at in moments.items():
            if at is not None:
                self.timeline.setdefault(moment, []).append(at)
        started, ended = moments["pool list requested"], moments["pool list received"]
        self.list_request.append(ended - started if started is not None and ended is not None else None)

    def report(self, visit: str) -> None:
        report(f"pool list, {visit}: first contentful paint", self.first_paint, None, [])
        report(f"pool list, {visit}: navigation -> first rows", self.first_rows, 1000, self.list_request)
        for moment, samples in self.timeline.items():
            print(f"{'    timeline: ' + moment:<58} {summary(samples)}")


def measure_tab_switches(browser: Browser, dashboard_url: str, big_pool_id: str, runs: int) -> None:
    samples: dict[str, tuple[list[float], list[float | None]]] = {}
    steps = [
        ("big pool: Active -> Assigned History (first time, fetches)", "assigned", "/assignments"),
        ("big pool: Assigned History -> Active Coupons", "active", "/coupons"),
        ("big pool: Active -> Assigned History (again)", "assigned", "/assignments"),
    ]
    for _ in range(runs):
        page = signed_in_page(browser)
        page.goto(f"{dashboard_url}/#/pools/{big_pool_id}")
        page.wait_for_selector("#panel-active tbody tr")
        for label, tab, endpoint in steps:
            shown, fetched = page.evaluate(TAB_SWITCH, [tab, endpoint])
            times, api_times = samples.setdefault(label, ([], []))
            times.append(shown)
            api_times.append(fetched)
        page.context.close()
    for label, (times, api_times) in samples.items():
        report(label, times, 500, api_times)


def in_browser(dashboard_url: str, big_pool_id: str, measure: Callable[[Browser], None]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One unmeasured visit: Chromium's own start-up is not the dashboard's.
            page = signed_in_page(browser)
            page.goto(f"{dashboard_url}/#/pools/{big_pool_id}")
            page.wait_for_selector("#panel-active tbody tr")
            page.context.close()
            measure(browser)
        finally:
            browser.close()


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


class BigPool:
    """The big pool, filled file by file through the import API."""

    def __init__(self, api: httpx.Client, work_dir: Path) -> None:
        self.api, self.work_dir = api, work_dir
        self.id: str = api.post("/v1/pools", json={"name": "bench big pool"}).json()["id"]
        self.size = 0

    def grow_to(self, size: int) -> None:
        count = size - self.size
        started = time.perf_counter()
        import_codes(self.api, self.id, range(self.size, size), self.work_dir)
        self.size = size
        elapsed = time.perf_counter() - started
        say(f"setup: {count:,} codes imported in {elapsed:.1f} s ({count / elapsed:,.0f} codes/s), pool now {size:,}")


def stage_sizes(stages: str, target: int) -> list[int]:
    sizes = sorted({int(s) for s in stages.split(",") if s.strip() and int(s) < target})
    return [*sizes, target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=1000)
    parser.add_argument("--codes", type=int, default=1_000_000)
    parser.add_argument("--stages", default="10000,100000", help="pool sizes to measure tab switches at on the way")
    parser.add_argument("--chunk", type=int, default=100_000, help="codes per imported file")
    parser.add_argument("--fill-minutes", type=float, default=45, help="time allowed to fill the big pool")
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    # Stopped early (Ctrl-C, timeout): still stop the services it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as work, services(Path(work)) as (pool_url, assignment_url, dashboard_url):
        api = admin_client(pool_url)
        say(f"dashboard benchmark: {args.pools:,} pools, big pool of up to {args.codes:,} codes, {args.runs} runs")
        overrides = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith(SERVICE_PREFIXES))
        say(f"service settings from the environment: {', '.join(overrides) or 'none (defaults)'}")
        others = args.pools - 1
        timed(f"{others:,} pools created ({SETUP_WORKERS} at a time)", lambda: create_pools(api, others))
        big = BigPool(api, Path(work))
        sizes = stage_sizes(args.stages, args.codes)
        big.grow_to(sizes[0])
        started = time.perf_counter()
        claimed = claim_some(assignment_url, big.id, args.claims)
        say(f"setup: {claimed} claims in {time.perf_counter() - started:.1f} s")
        if claimed:
            timed("claims counted in the pool", lambda: wait_for_history(api, big.id, claimed))
        wait_until_quiet(api, big.id)
        pools_listed = len(api.get("/v1/pools", params={"limit": 500}).json()["items"])
        say(f"measuring the pool list ({pools_listed} pools on the first API page of 500); {load()}")
        in_browser(dashboard_url, big.id, partial(measure_first_paint, dashboard_url=dashboard_url, runs=args.runs))

        fill_deadline = time.monotonic() + args.fill_minutes * 60
        for stage in sizes:
            while big.size < stage and time.monotonic() < fill_deadline:
                big.grow_to(min(stage, big.size + args.chunk))
            if big.size < stage:
                say(f"--fill-minutes ran out: the big pool holds {big.size:,} of the {stage:,} codes of this stage")
            wait_until_quiet(api, big.id)
            say(f"measuring tab switches in the big pool of {big.size:,} codes; {load()}")
            tabs = partial(measure_tab_switches, dashboard_url=dashboard_url, big_pool_id=big.id, runs=args.runs)
            in_browser(dashboard_url, big.id, tabs)
            if big.size < stage:
                break


if __name__ == "__main__":
    main()
