"""docker-compose.yml cannot be started here (no Docker engine); check what can be checked.

The file parses, every service variable names a real setting of that service,
images are pinned to exact versions, and each Dockerfile exists and is pinned.
"""

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from coupon_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
OUR_SERVICES = {
    "pool-service": "pool_service.settings",
    "assignment-service": "assignment_service.settings",
    "alert-service": "alert_service.settings",
}
PINNED = re.compile(r"^[\w./-]+:\d+(\.\d+)+(-[\w.]+)*$")


def settings_class(module_name: str) -> type[ServiceSettings]:
    module = importlib.import_module(module_name)
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings
    ]
    assert len(found) == 1, f"{module_name} should define exactly one ServiceSettings subclass"
    return found[0]


def test_the_file_declares_infrastructure_and_every_service() -> None:
    assert {"mongo", "kafka", "create-topics", *OUR_SERVICES} <= set(COMPOSE["services"])


@pytest.mark.parametrize(("service", "module_name"), OUR_SERVICES.items())
def test_environment_names_match_the_service_settings(service: str, module_name: str) -> None:
    settings = settings_class(module_name)
    prefix = str(settings.model_config.get("env_prefix", "")).upper()
    environment: dict[str, str] = COMPOSE["services"][service]["environment"]
    unknown = [
        name
        for name in environment
        if not name.startswith(prefix) or name.removeprefix(prefix).lower() not in settings.model_fields
    ]
    assert unknown == [], f"{service}: variables its Settings do not read: {unknown}"


def test_images_are_pinned_to_exact_versions() -> None:
    for name, service in COMPOSE["services"].items():
        assert PINNED.match(service["image"]), f"{name}: image {service['image']!r} is not pinned"


@pytest.mark.parametrize("service", OUR_SERVICES)
def test_dockerfiles_exist_and_pin_their_base(service: str) -> None:
    dockerfile = ROOT / COMPOSE["services"][service]["build"]["dockerfile"]
    base = next(line.split()[1] for line in dockerfile.read_text().splitlines() if line.startswith("FROM "))
    assert PINNED.match(base), f"{dockerfile}: base image {base!r} is not pinned"


def test_production_services_need_real_keys() -> None:
    for service in OUR_SERVICES:
        environment = COMPOSE["services"][service]["environment"]
        assert any(value == "production" for name, value in environment.items() if name.endswith("ENVIRONMENT"))
        assert any("?" in value for name, value in environment.items() if name.endswith("API_KEYS"))
