"""``python -m assignment_service``: the HTTP API, the claim consumer and the batcher in one process."""

import logging

import uvicorn

from assignment_service.entrypoints.app import create_app
from assignment_service.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_level="warning")


if __name__ == "__main__":
    main()
