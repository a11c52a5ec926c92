"""Alert service settings, all from ``ALERT_SERVICE_*`` environment variables."""

import socket
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from coupon_shared.settings import ServiceSettings


class AlertServiceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ALERT_SERVICE_", extra="ignore")

    http_port: int = 8003
    # The faust app id is the Kafka consumer group and prefixes the changelog topics.
    app_id: str = "alert-service"
    state_dir: Path = Path(".state/alert-service")
    table_store: str = "memory://"  # or "rocksdb://" (needs rocksdict)
    processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    # faust's own web server (statistics pages, no auth) stays off unless asked for;
    # the forecast API, /healthz and /readyz are served on http_port.
    faust_web_enabled: bool = False
    faust_web_port: int = 6066
    log_level: str = "info"
    # How the other workers reach this one's API: a forecast asked of a worker
    # that does not hold the pool is forwarded to the one that does. Default
    # http://<http_host>:<http_port>, with the host name when listening on all
    # interfaces (a container's host name is its address on the compose network).
    advertised_url: str | None = None
    # How long the broker waits for a silent (killed) worker before giving its
    # partitions to another: bounds the gap after a crash.
    kafka_session_timeout_seconds: float = 30.0
    producer_linger_seconds: float = 0.005
    # The follow-pools agent takes records in batches: each pool's state is read,
    # changed by all of its records of the batch, and written (one changelog
    # record) once. A batch closes when full or this long after the last one,
    # which bounds the latency batching adds to an alert.
    batch_max_records: int = 1000
    batch_max_wait_seconds: float = 0.25

    # Bridges: each one is on when configured.
    slack_webhook_url: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    email_from: str = "alerts@coupon-pools.local"
    # Comma-separated recipients.
    email_to: str = ""
    delivery_attempts: int = 4
    delivery_backoff_seconds: float = 0.5
    delivery_timeout_seconds: float = 5.0
    delivery_concurrency: int = 8
    recent_alerts_kept: int = 20

    @property
    def api_url(self) -> str:
        if self.advertised_url:
            return self.advertised_url
        listening_everywhere = self.http_host in ("0.0.0.0", "::")  # noqa: S104 (a comparison, not a bind)
        host = socket.gethostname() if listening_everywhere else self.http_host
        return f"http://{host}:{self.http_port}"
