"""The issue-6 journey in Debian's Chromium against the real pool-service and assignment-service.

The first test needs the module's fresh database to have no pools, so it runs first (file order).
"""

import csv
import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import ADMIN_KEY, STOREFRONT_KEY, Stack, screenshot, sign_in
from tests.support.random_refs import random_email, random_pool_name, random_suffix

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def create_pool(stack: Stack, name: str | None = None) -> dict[str, str]:
    with stack.admin() as api:
        answer = api.post("/v1/pools", json={"name": name or random_pool_name("browser")})
        assert answer.status_code == 201, answer.text
        pool: dict[str, str] = answer.json()
        return pool


def open_pool(page: Page, stack: Stack, pool_id: str) -> None:
    sign_in(page, stack.dashboard_url)
    expect(page.get_by_role("heading", name="Coupon Management", exact=True)).to_be_visible()
    page.goto(f"{stack.dashboard_url}/#/pools/{pool_id}")
    expect(page.get_by_role("tab", name="Active Coupons")).to_be_visible()


def pool_names(stack: Stack) -> list[str]:
    with stack.admin() as api:
        return [p["name"] for p in api.get("/v1/pools", params={"limit": 500}).json()["items"]]


def test_empty_state_then_create_pool_from_it_and_cancel_saves_nothing(page: Page, stack: Stack) -> None:
    sign_in(page, stack.dashboard_url)
    empty = page.get_by_test_id("empty-state")
    expect(empty.get_by_role("heading", name="No coupon pools yet")).to_be_visible()
    expect(page.get_by_test_id("create-pool")).to_be_visible()
    screenshot(page, "01-empty-state")

    empty.get_by_role("button", name="Create Pool").click()
    dialog = page.get_by_role("dialog", name="Create Coupon Pool")
    expect(dialog).to_contain_text("Enter a name for your new coupon pool")
    dialog.get_by_label("Pool Name").fill("Never saved")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.get_by_test_id("create-pool").click()
    dialog.get_by_label("Pool Name").fill("Never saved either")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert pool_names(stack) == []

    name = random_pool_name("Welcome discount")
    empty.get_by_role("button", name="Create Pool").click()
    expect(dialog.get_by_label("Pool Name")).to_be_focused()
    dialog.get_by_label("Pool Name").fill(name)
    screenshot(page, "02-create-pool-modal")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("pool-row").filter(has_text=name)).to_be_visible()
    assert pool_names(stack) == [name]
    screenshot(page, "03-pool-list")


def test_bad_pool_names_show_beside_the_field_and_keep_the_input(page: Page, stack: Stack) -> None:
    taken = create_pool(stack)["name"]
    sign_in(page, stack.dashboard_url)
    page.get_by_test_id("create-pool").click()
    dialog = page.get_by_role("dialog", name="Create Coupon Pool")
    name = dialog.get_by_label("Pool Name")

    dialog.get_by_role("button", name="Create Pool").click()
    expect(dialog).to_contain_text("Enter a name for the pool.")
    too_long = "x" * 101
    name.fill(too_long)
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("Use at most 100 characters")
    expect(name).to_have_value(too_long)

    name.fill(taken.upper())
    page.keyboard.press("Enter")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".field-error")).to_be_visible()
    expect(name).to_have_value(taken.upper())
    screenshot(page, "04-duplicate-pool-name")
    assert pool_names(stack).count(taken) == 1


def test_rename_add_coupon_with_all_fields_and_bad_coupon_input(page: Page, stack: Stack) -> None:
    pool = create_pool(stack)
    open_pool(page, stack, pool["id"])

    new_name = random_pool_name("VIP users")
    page.get_by_role("button", name="Rename pool").click()
    page.get_by_label("Pool Name").fill(new_name)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pool-name")).to_have_text(new_name)
    with stack.admin() as api:
        assert api.get(f"/v1/pools/{pool['id']}").json()["name"] == new_name

    code_field, duration = page.get_by_label("Code"), page.get_by_label("User Expiration")
    code_field.fill("HAS SPACE")
    page.get_by_label("Message").fill("Welcome aboard: 10% off")
    duration.fill("30 days")
    page.get_by_role("button", name="Add (+) coupon").click()
    expect(page.get_by_text("Coupon codes cannot contain spaces")).to_be_visible()
    expect(page.get_by_text("Use an ISO-8601 duration")).to_be_visible()
    expect(page.get_by_label("Message")).to_have_value("Welcome aboard: 10% off")
    screenshot(page, "05-bad-coupon-input")

    code = f"VIP-{random_suffix().upper()}"
    code_field.fill(code)
    duration.fill("P30D")
    page.get_by_label("Pool Expiration").fill("2001-01-01")
    page.get_by_role("button", name="Add (+) coupon").click()
    # Only the API knows this rule: its 422 names the field, and the message appears beside it.
    expect(page.get_by_label("Pool Expiration")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field=pool_expires_at] .field-error")).to_be_visible()
    expect(code_field).to_have_value(code)

    page.get_by_label("Pool Expiration").fill("2031-12-31")
    duration.fill("P30D")
    page.get_by_role("button", name="Add (+) coupon").click()
    row = page.get_by_test_id("active-table").locator("tr", has_text=code)
    expect(row).to_contain_text("Welcome aboard: 10% off")
    expect(row).to_contain_text("P30D")
    expect(row).to_contain_text("2031")
    expect(code_field).to_have_value("")
    page.get_by_label("Search coupons").fill(code[-5:].lower())
    expect(page.get_by_test_id("active-table").locator("tbody tr")).to_have_count(1)
    expect(page.locator("[data-stat=total]")).to_have_text("1", timeout=30_000)
    expect(page.get_by_test_id("counts-status")).to_be_empty()
    screenshot(page, "06-pool-details-active")

    code_field.fill(code)
    page.get_by_role("button", name="Add (+) coupon").click()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_value(code)


def test_import_shows_progress_then_summary_and_refuses_non_csv(page: Page, stack: Stack, tmp_path: Path) -> None:
    pool = create_pool(stack)
    open_pool(page, stack, pool["id"])
    page.get_by_role("button", name="Import Coupons").click()

    picture = tmp_path / "logo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    page.get_by_label("Coupon file").set_input_files(str(picture))
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_text("is not a CSV or text file")).to_be_visible()

    lines = ["code,message,user_expiration"] + [f"IMP-{i:04d},Imported {i},P7D" for i in range(300)]
    lines += ["IMP-0001,dup,P7D", "bad code,x,P7D", "IMP-9999,x,not-a-duration"]
    upload = tmp_path / "coupons.csv"
    upload.write_text("\n".join(lines) + "\n")
    page.get_by_label("Coupon file").set_input_files(str(upload))
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("progressbar", name="Import progress")).to_be_visible()
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_be_visible(timeout=60_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(summary.locator("[data-summary=imported] dd")).to_have_text("300")
    expect(summary.locator("[data-summary=duplicates] dd")).to_have_text("1")
    expect(summary.locator("[data-summary=invalid] dd")).to_have_text("2")
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("303")
    expect(errors).to_contain_text("304")
    expect(page.locator("[data-stat=active]")).to_have_text("300")
    screenshot(page, "07-import-summary", full_page=False)


def test_claim_moves_coupon_to_assigned_history_search_and_export(page: Page, stack: Stack) -> None:
    pool = create_pool(stack)
    code = f"GIFT-{random_suffix().upper()}"
    with stack.admin() as api:
        assert api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": code}).status_code == 201
    open_pool(page, stack, pool["id"])
    expect(page.get_by_test_id("active-table")).to_contain_text(code)

    email = random_email()
    claim = claim_coupon(stack, pool["id"], email)
    assert claim["code"] == code

    page.get_by_role("tab", name="Assigned History").click()
    history = page.get_by_test_id("assigned-table")
    refresh_until(page, lambda: history.locator("tr", has_text=email).count() == 1)
    row = history.locator("tr", has_text=email)
    expect(row).to_contain_text(code)
    expect(row).to_contain_text("browser-test")
    expect(page.get_by_text("no longer available for distribution")).to_be_visible()

    page.get_by_label("Search assigned coupons").fill(email.upper())
    expect(history.locator("tbody tr")).to_have_count(1)
    screenshot(page, "08-assigned-history")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Code", "Email", "Source", "Assigned At"]
    assert [r[:3] for r in rows[1:]] == [[code, email, "browser-test"]]

    page.get_by_role("tab", name="Active Coupons").click()
    expect(page.get_by_test_id("active-table").locator("tbody tr")).to_have_count(0)
    expect(page.get_by_text("No active coupons")).to_be_visible()


class LaggingCounts:
    """Serves the pool as it was before a change, as a projector that has not caught up yet would."""

    def __init__(self, page: Page, stack: Stack, pool_id: str) -> None:
        with stack.admin() as api:
            self.stale = api.get(f"/v1/pools/{pool_id}").text
        self.lagging = True
        page.route(f"**/v1/pools/{pool_id}", self.handle)

    def handle(self, route: Route) -> None:
        if self.lagging and route.request.method == "GET":
            route.fulfill(status=200, content_type="application/json", body=self.stale)
        else:
            route.continue_()


def wait_until_counted(stack: Stack, pool_id: str, total: int, timeout: float = 30) -> None:
    """Wait for pool-service's projector itself (the page's clock is stopped, the service's is not)."""
    deadline = time.monotonic() + timeout
    with stack.admin() as api:
        while api.get(f"/v1/pools/{pool_id}").json()["counts"]["total"] < total:
            assert time.monotonic() < deadline, f"pool {pool_id} never counted {total} coupons"
            time.sleep(0.1)


def test_counts_say_updating_until_they_include_an_added_or_imported_coupon(
    page: Page, stack: Stack, tmp_path: Path
) -> None:
    pool = create_pool(stack)
    page.clock.install()
    open_pool(page, stack, pool["id"])
    stats, status = page.locator("section.stats"), page.get_by_test_id("counts-status")
    total = page.locator("[data-stat=total]")
    expect(total).to_have_text("0")
    projector = LaggingCounts(page, stack, pool["id"])

    page.get_by_label("Code").fill("LAG-1")
    page.get_by_role("button", name="Add (+) coupon").click()
    expect(page.get_by_test_id("active-table").locator("tr", has_text="LAG-1")).to_be_visible()
    # Listed, not yet counted: the counts must not pass for current.
    expect(status).to_contain_text("Updating counts")
    expect(stats).to_have_attribute("aria-busy", "")
    expect(total).to_have_text("0")
    screenshot(page, "13-counts-updating", full_page=False)
    projector.lagging = False
    expect(total).to_have_text("1")
    expect(page.locator("[data-stat=active]")).to_have_text("1")
    expect(status).to_be_empty()
    expect(stats).not_to_have_attribute("aria-busy", "")

    # A projector that stays behind: after a minute the page says so and offers a re-check.
    projector.lagging = True
    page.get_by_label("Code").fill("LAG-2")
    page.get_by_role("button", name="Add (+) coupon").click()
    expect(status).to_contain_text("Updating counts")
    page.clock.fast_forward("01:05")
    expect(status).to_contain_text("taking longer than usual")
    expect(total).to_have_text("0")
    projector.lagging = False
    wait_until_counted(stack, pool["id"], total=2)  # the real projector, on the machine's own clock
    status.get_by_role("button", name="Refresh counts").click()
    expect(total).to_have_text("2")
    expect(status).to_be_empty()

    upload = tmp_path / "codes.txt"
    upload.write_text("".join(f"LAG-IMP-{i}\n" for i in range(40)))
    page.get_by_role("button", name="Import Coupons").click()
    page.get_by_label("Coupon file").set_input_files(str(upload))
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_test_id("import-summary")).to_be_visible(timeout=60_000)
    expect(total).to_have_text("42", timeout=30_000)
    expect(status).to_be_empty()


def claim_coupon(stack: Stack, pool_id: str, email: str) -> dict[str, str]:
    # The assignment service learns about the pool from Kafka: retry until it has.
    deadline = time.monotonic() + 30
    while True:
        answer = httpx.post(
            f"{stack.assignment_url}/v1/pools/{pool_id}/claims",
            json={"email": email, "source": "browser-test"},
            headers={"Authorization": f"Bearer {STOREFRONT_KEY}"},
            timeout=30,
        )
        if answer.status_code in (200, 201) or time.monotonic() > deadline:
            assert answer.status_code in (200, 201), answer.text
            claim: dict[str, str] = answer.json()
            return claim
        time.sleep(0.5)


def refresh_until(page: Page, done: Callable[[], bool], timeout: float = 30) -> None:
    """Click Refresh (at least once) until ``done``: history arrives through Kafka, a moment after the claim."""
    deadline = time.monotonic() + timeout
    while True:
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_role("button", name="Refresh")).to_be_enabled()
        if done():
            return
        assert time.monotonic() < deadline, "the assignment never reached Assigned History"
        page.wait_for_timeout(500)


def test_alert_settings_persist_across_reload(page: Page, stack: Stack) -> None:
    pool = create_pool(stack)
    open_pool(page, stack, pool["id"])
    toggle = page.get_by_role("switch", name="Alert when coupons drop below")
    expect(toggle).not_to_be_checked()
    toggle.check(force=True)
    expect(page.get_by_text("Alerts on")).to_be_visible()
    page.get_by_label("Threshold").fill("-3")
    page.get_by_role("button", name="Set threshold").click()
    expect(page.get_by_text("Enter a whole number")).to_be_visible()
    page.get_by_label("Threshold").fill("25")
    page.get_by_role("button", name="Set threshold").click()
    expect(page.get_by_text("Threshold saved")).to_be_visible()
    expect(page.get_by_test_id("forecast")).to_contain_text("Forecast")
    screenshot(page, "09-alerts")

    page.reload()
    expect(toggle).to_be_checked()
    expect(page.get_by_label("Threshold")).to_have_value("25")
    with stack.admin() as api:
        assert api.get(f"/v1/pools/{pool['id']}").json()["alert"] == {"enabled": True, "threshold": 25}


def test_forecast_shows_the_alert_service_figures_and_the_alert_a_claim_raised(page: Page, stack: Stack) -> None:
    pool = create_pool(stack)
    with stack.admin() as api:
        settings = {"alert": {"enabled": True, "threshold": 1}}
        assert api.patch(f"/v1/pools/{pool['id']}", json=settings).status_code == 200
        assert api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": "LAST-ONE"}).status_code == 201
        # The alert worker reads every earlier test's events first, and the claim must
        # reach it after the coupon (two topics are not ordered with each other).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            answer = api.get(f"/v1/pools/{pool['id']}/forecast")
            if answer.status_code == 200 and answer.json()["active"] == 1:
                break
            time.sleep(1)
    claim_coupon(stack, pool["id"], random_email())

    open_pool(page, stack, pool["id"])
    forecast = page.get_by_test_id("forecast")
    deadline = time.monotonic() + 30
    while "Depleted" not in (forecast.text_content() or "") and time.monotonic() < deadline:
        time.sleep(2)
        page.reload()  # the panel reads the forecast when the pool opens
    expect(forecast).to_contain_text("Depleted")
    expect(forecast).to_contain_text("Usage per day")
    expect(forecast).to_contain_text("Projected runout")
    screenshot(page, "14-forecast")


def test_sign_in_refuses_storefront_key_and_expired_key_returns_to_sign_in(page: Page, stack: Stack) -> None:
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    sign_in(page, stack.dashboard_url, STOREFRONT_KEY)
    expect(page.get_by_text("not an admin key")).to_be_visible()
    expect(page.get_by_label("Admin API key")).to_have_value(STOREFRONT_KEY)
    screenshot(page, "10-sign-in-storefront-key")
    page.get_by_label("Admin API key").fill("nobody-knows-me")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("This key is not recognised")).to_be_visible()

    page.get_by_label("Admin API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Coupon Management", exact=True)).to_be_visible()
    # The key stops being accepted (as when it expires or is revoked) while the page is open.
    page.evaluate("sessionStorage.setItem('coupon-dashboard.admin-key', 'revoked-key')")
    page.get_by_test_id("create-pool").click()
    page.get_by_label("Pool Name").fill(random_pool_name())
    page.keyboard.press("Enter")
    expect(page.get_by_text("no longer accepted")).to_be_visible()
    expect(page.get_by_label("Admin API key")).to_be_visible()
    page.wait_for_timeout(1500)
    assert len(navigations) == 1, f"the page reloaded: {navigations}"
    screenshot(page, "11-key-expired")


def test_restarted_service_shows_banner_and_recovers(page: Page, stack: Stack) -> None:
    pool = create_pool(stack)
    open_pool(page, stack, pool["id"])
    stack.pool_service.stop()
    page.get_by_role("tab", name="Assigned History").click()
    banner = page.locator("#banner")
    expect(banner).to_contain_text("Can't reach the Coupon Pools service")
    screenshot(page, "12-service-unreachable")
    stack.restart_pool_service()
    expect(banner).to_be_hidden(timeout=30_000)
    expect(page.get_by_text("No coupons have been assigned from this pool yet.")).to_be_visible()
    assert re.search(r"/assigned$", page.url)


def slowly(route: Route) -> None:
    time.sleep(1.5)
    route.continue_()


def pool_with_one_coupon_watched(page: Page, stack: Stack, code: str) -> tuple[dict[str, str], list[str]]:
    """A pool holding ``code``, a signed-in page, and the list of URLs the page will request."""
    pool = create_pool(stack)
    with stack.admin() as api:
        assert api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": code}).status_code == 201
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(f"sessionStorage.setItem('coupon-dashboard.admin-key', '{ADMIN_KEY}')")
    return pool, requests


def test_first_view_data_is_requested_once_while_the_modules_load(page: Page, stack: Stack) -> None:
    pool, requests = pool_with_one_coupon_watched(page, stack, "EARLY-1")

    # A slow module: the data request must not wait for it.
    page.route("**/js/pools.js", slowly)
    page.goto(f"{stack.dashboard_url}/")
    expect(page.get_by_test_id("pool-row").filter(has_text=pool["name"])).to_be_visible()
    assert [u for u in requests if "/v1/" in u] == [f"{stack.dashboard_url}/v1/pools?limit=50"]
    list_sent, module_arrived = page.evaluate(
        """() => {
          const entries = performance.getEntriesByType('resource');
          const at = (part) => entries.find((e) => e.name.includes(part));
          return [at('/v1/pools?limit=50').startTime, at('/js/pools.js').responseEnd];
        }"""
    )
    assert list_sent < module_arrived - 1000, (list_sent, module_arrived)
    page.unroute("**/js/pools.js")

    page.goto(f"{stack.dashboard_url}/#/pools/{pool['id']}")
    expect(page.get_by_test_id("active-table")).to_contain_text("EARLY-1")
    requests.clear()
    pool_url = f"{stack.dashboard_url}/v1/pools/{pool['id']}"
    # The pool, its Active Coupons page and (for a quick first switch) Assigned History's, each once.
    with page.expect_request(f"{pool_url}/assignments?limit=50"):
        page.reload()
        expect(page.get_by_test_id("active-table")).to_contain_text("EARLY-1")
    first_view = [pool_url, f"{pool_url}/coupons?limit=50", f"{pool_url}/assignments?limit=50"]
    assert sorted(u for u in requests if u in first_view) == sorted(first_view)
    page.get_by_role("tab", name="Assigned History").click()
    expect(page.get_by_text("No coupons have been assigned from this pool yet.")).to_be_visible()


SLOW_HISTORY = """
const realFetch = window.fetch;
window.fetch = (url, init) => String(url).includes('/assignments')
  ? new Promise((resolve) => setTimeout(resolve, 1500)).then(() => realFetch(url, init))
  : realFetch(url, init);
"""


def test_switching_to_a_tab_whose_first_page_is_on_its_way_waits_for_it(page: Page, stack: Stack) -> None:
    pool, requests = pool_with_one_coupon_watched(page, stack, "ON-ITS-WAY")
    page.add_init_script(SLOW_HISTORY)
    page.goto(f"{stack.dashboard_url}/#/pools/{pool['id']}")
    expect(page.get_by_test_id("active-table")).to_contain_text("ON-ITS-WAY")
    # The background fetch of Assigned History is still held back: the switch must not start another.
    page.get_by_role("tab", name="Assigned History").click()
    expect(page.get_by_text("No coupons have been assigned from this pool yet.")).to_be_visible()
    page.wait_for_timeout(500)
    history_requests = [u for u in requests if "/assignments" in u]
    assert len(history_requests) == 1, history_requests


def test_create_pool_by_keyboard_only_with_focus_kept_in_the_dialog(page: Page, stack: Stack) -> None:
    sign_in(page, stack.dashboard_url)
    opener = page.get_by_test_id("create-pool")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Create Coupon Pool")
    expect(dialog.get_by_label("Pool Name")).to_be_focused()
    for _ in range(6):
        page.keyboard.press("Tab")
        assert dialog.evaluate("node => node.contains(document.activeElement)"), "focus left the dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    name = random_pool_name("Keyboard")
    page.keyboard.press("Enter")
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pool-row").filter(has_text=name)).to_be_visible()
    page.get_by_role("link", name=name).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("pool-name")).to_have_text(name)
    page.get_by_role("tab", name="Active Coupons").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Code")).to_be_focused()
    page.get_by_role("tab", name="Active Coupons").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Assigned History")).to_have_attribute("aria-selected", "true")
    # A button busy for a moment (disabled meanwhile) gives focus back when done.
    refresh = page.get_by_role("button", name="Refresh")
    refresh.focus()
    page.keyboard.press("Enter")
    expect(refresh).to_be_enabled()
    expect(refresh).to_be_focused()
