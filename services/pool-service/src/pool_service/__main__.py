"""``python -m pool_service``: serve the API and run the background loops until stopped."""

import logging

import uvicorn

from pool_service.entrypoints.app import create_app
from pool_service.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_level="info")


if __name__ == "__main__":
    main()
