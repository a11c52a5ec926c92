"""Addresses of the private Kafka and FerretDB that `make test` started.

Integration tests fail (not skip) when they are missing: a suite that silently
skips its real-infrastructure tests would pass without testing anything.
"""

import os
import socket

import pytest


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite with `make test` (it starts a private Kafka and FerretDB)")
    return value


def kafka_bootstrap() -> str:
    return _required("KAFKA_BOOTSTRAP")


def mongo_url() -> str:
    return _required("MONGO_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
