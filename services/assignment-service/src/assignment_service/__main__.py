"""``python -m assignment_service``: the HTTP API, the claim consumer and the batcher in one process."""

import logging

import uvicorn

from assignment_service.entrypoints.app import create_app
from assignment_service.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    # uvloop and httptools: the C event loop and HTTP parser (the claim path is CPU-bound on 2 cores).
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
