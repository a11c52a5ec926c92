"""One alert worker subprocess for this directory's tests (each test uses its own pools)."""

from collections.abc import Iterator

import pytest

from tests.integration.alert_service.worker_process import AlertWorkerProcess


@pytest.fixture(scope="module")
def alert_worker(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertWorkerProcess]:
    worker = AlertWorkerProcess(kafka_bootstrap, tmp_path_factory.mktemp("alert-worker"))
    worker.start()
    yield worker
    worker.stop()
