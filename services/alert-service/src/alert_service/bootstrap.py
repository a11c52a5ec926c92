"""Wiring: settings → faust app, tables, agents, bridges, and the forecast API beside them."""

import asyncio
from typing import Any

import faust
import httpx

from alert_service.adapters.bridges import Channel, SlackWebhook, SmtpMailer
from alert_service.adapters.changelog_topics import ensure_changelog_topics
from alert_service.domain.clock import Clock, SystemClock
from alert_service.entrypoints.api import FORWARD_TIMEOUT_SECONDS, create_api
from alert_service.entrypoints.http_server import HttpServer
from alert_service.entrypoints.worker import AlertWorker, create_faust_app
from alert_service.settings import AlertServiceSettings
from coupon_shared import topics


def configured_channels(settings: AlertServiceSettings) -> list[Channel]:
    channels: list[Channel] = []
    if settings.slack_webhook_url is not None:
        channels.append(SlackWebhook(settings.slack_webhook_url, settings.delivery_timeout_seconds))
    if settings.smtp_host and settings.email_to.strip():
        channels.append(SmtpMailer(settings, settings.delivery_timeout_seconds))
    return channels


class _ForecastSource:
    def __init__(self, worker: AlertWorker) -> None:
        self._worker = worker
        self.clock = worker.clock
        self.pool_state = worker.pool_state
        self.owner_url = worker.owner_url

    def recent_alerts_of(self, pool_id: str) -> list[dict[str, Any]]:
        return list(self._worker.recent_alerts.get(pool_id) or [])


def kafka_ready(app: faust.App) -> bool:
    """Consuming: partitions assigned, no rebalance or table recovery under way."""
    consumer = app.consumer if app.started else None
    if consumer is None or app.rebalancing or getattr(app, "in_recovery", False):
        return False
    return bool(consumer.assignment())


class AlertService:
    """The faust worker's app plus the HTTP server that runs beside it."""

    def __init__(self, settings: AlertServiceSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        self.worker = AlertWorker(
            create_faust_app(settings), settings, clock or SystemClock(), configured_channels(settings)
        )
        app = self.worker.app

        async def ready() -> bool:
            return kafka_ready(app)

        peers = httpx.AsyncClient(timeout=FORWARD_TIMEOUT_SECONDS)
        api = create_api(_ForecastSource(self.worker), settings.api_keys, ready, peers)
        self.http_server = HttpServer(api, settings.http_host, settings.http_port, on_stopped=[peers.aclose])

    def run(self) -> None:
        """Run until SIGTERM/SIGINT; faust's Worker exits the process when done."""
        names = self.worker.changelog_topic_names()
        asyncio.run(ensure_changelog_topics(self.settings.kafka_bootstrap, names, topics.PARTITIONS))
        faust.Worker(self.worker.app, self.http_server, loglevel=self.settings.log_level).execute_from_commandline()
