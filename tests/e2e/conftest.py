"""The three services as subprocesses, started the way `make run` starts them."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import ServiceProcess, python_module
from tests.support.random_refs import random_db_name, random_suffix
from tests.support.stack import free_port


@dataclass(frozen=True)
class RunningSystem:
    pool_url: str
    assignment_url: str
    alert_url: str
    admin_key: str
    storefront_key: str
    processes: dict[str, ServiceProcess]

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def storefront(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.storefront_key}"}


@pytest.fixture(scope="module")
def system(kafka_bootstrap: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    """pool-, assignment- and alert-service on free ports, a database and consumer groups of their own."""
    logs = tmp_path_factory.mktemp("service-logs")
    run = random_suffix()
    admin_key, storefront_key = f"admin-{run}", f"shop-{run}"
    ports = {name: free_port() for name in ("pool", "assignment", "alert")}
    common = {
        "ENVIRONMENT": "test",
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "MONGO_URL": mongo_url,
        "MONGO_DB": random_db_name(),
        "API_KEYS": f"{admin_key}:admin,{storefront_key}:storefront",
    }
    specific = {
        "pool": {"CONSUMER_GROUP": f"pool-{run}", "ALERT_SERVICE_URL": f"http://127.0.0.1:{ports['alert']}"},
        "assignment": {"CONSUMER_GROUP": f"assignment-{run}"},
        "alert": {"APP_ID": f"alert-{run}", "STATE_DIR": str(logs / "alert-state")},
    }
    processes: dict[str, ServiceProcess] = {}
    try:
        for name, port in ports.items():
            prefix = f"{name.upper()}_SERVICE_"
            env = {prefix + key: value for key, value in {**common, **specific[name], "HTTP_PORT": str(port)}.items()}
            processes[name] = ServiceProcess(f"{name}-service", python_module(f"{name}_service"), env, Path(logs))
        for name, port in ports.items():
            processes[name].wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=120)
        yield RunningSystem(
            pool_url=f"http://127.0.0.1:{ports['pool']}",
            assignment_url=f"http://127.0.0.1:{ports['assignment']}",
            alert_url=f"http://127.0.0.1:{ports['alert']}",
            admin_key=admin_key,
            storefront_key=storefront_key,
            processes=processes,
        )
    finally:
        for process in processes.values():
            process.stop()
