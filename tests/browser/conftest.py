"""Browser fixtures: the real services as subprocesses, the dashboard, and Debian's Chromium."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.dashboard_host import dashboard_host, serves_dashboard
from tests.support.processes import ROOT, ServiceProcess, python_module
from tests.support.random_refs import random_db_name
from tests.support.stack import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_KEY = "k1"
STOREFRONT_KEY = "k2"
SCREENSHOTS = ROOT / "docs" / "screenshots"


@dataclass
class Stack:
    pool_url: str
    assignment_url: str
    dashboard_url: str
    pool_service: ServiceProcess
    pool_env: dict[str, str]
    log_dir: Path

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.pool_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)

    def restart_pool_service(self) -> None:
        """Start pool-service again on the same port and database, after it was stopped."""
        argv = python_module("pool_service")
        self.pool_service = ServiceProcess("pool-service-restarted", argv, self.pool_env, self.log_dir)
        self.pool_service.wait_ready(f"{self.pool_url}/readyz")


def service_env(prefix: str, port: int, db: str, kafka: str, mongo: str) -> dict[str, str]:
    return {
        f"{prefix}KAFKA_BOOTSTRAP": kafka,
        f"{prefix}MONGO_URL": mongo,
        f"{prefix}MONGO_DB": db,
        f"{prefix}API_KEYS": f"{ADMIN_KEY}:admin,{STOREFRONT_KEY}:storefront",
        f"{prefix}HTTP_PORT": str(port),
        f"{prefix}HTTP_HOST": "127.0.0.1",
        # A group of its own, so this module's services see every partition of the shared topics.
        f"{prefix}CONSUMER_GROUP": f"browser-{uuid.uuid4().hex[:8]}",
    }


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = tmp_path_factory.mktemp("service-logs")
    db = random_db_name()
    pool_port, assignment_port, alert_port, host_port = free_port(), free_port(), free_port(), free_port()
    alert_url = f"http://127.0.0.1:{alert_port}"
    pool_env = service_env("POOL_SERVICE_", pool_port, db, kafka_bootstrap, mongo_url)
    pool_env["POOL_SERVICE_ALERT_SERVICE_URL"] = alert_url
    assignment_env = service_env("ASSIGNMENT_SERVICE_", assignment_port, db, kafka_bootstrap, mongo_url)
    alert_env = service_env("ALERT_SERVICE_", alert_port, db, kafka_bootstrap, mongo_url)
    alert_env["ALERT_SERVICE_APP_ID"] = f"browser-alerts-{uuid.uuid4().hex[:8]}"
    alert_env["ALERT_SERVICE_STATE_DIR"] = str(log_dir / "alert-state")
    pool_url, assignment_url = f"http://127.0.0.1:{pool_port}", f"http://127.0.0.1:{assignment_port}"
    pool = ServiceProcess("pool-service", python_module("pool_service"), pool_env, log_dir)
    assignment = ServiceProcess("assignment-service", python_module("assignment_service"), assignment_env, log_dir)
    alerts = ServiceProcess("alert-service", python_module("alert_service"), alert_env, log_dir)
    stack = Stack(pool_url, assignment_url, pool_url, pool, pool_env, log_dir)
    try:
        pool.wait_ready(f"{pool_url}/readyz")
        assignment.wait_ready(f"{assignment_url}/readyz")
        alerts.wait_ready(f"{alert_url}/readyz", timeout=120)
        if serves_dashboard(pool_url):
            yield stack
        else:
            with dashboard_host(pool_url, host_port) as dashboard_url:
                stack.dashboard_url = dashboard_url
                yield stack
    finally:
        alerts.stop()
        assignment.stop()
        stack.pool_service.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    """Save the page for docs/screenshots, from the top (a sticky header would otherwise repeat)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page, animations="disabled")


def sign_in(page: Page, url: str, key: str = ADMIN_KEY) -> None:
    page.goto(url + "/")
    page.get_by_label("Admin API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
