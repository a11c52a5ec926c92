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


# Ports this process handed out: callers often take several before starting anything, and the
# kernel may offer a port just closed again (CI once gave pool- and assignment-service one port).
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and never one this process handed out before."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
