"""assignment-service settings; every variable is prefixed ``ASSIGNMENT_SERVICE_``."""

from pydantic_settings import SettingsConfigDict

from coupon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSIGNMENT_SERVICE_", extra="ignore")

    http_port: int = 8001
    consumer_group: str = "assignment-service"
    # HTTP claim batches start at least this far apart (a claim after a pause is decided at once).
    batch_window_ms: float = 5.0
    max_batch: int = 1000
    # Stock documents read per step of a pass over a pool's stock; a pool's queue is read ahead
    # to MAX_BATCH uses, in steps this small (short reads delay the claims deciding less).
    stock_batch: int = 500
    # A pending claim older than this may be finished by any replica (its owner died).
    resume_after_seconds: float = 10.0
    # HTTP claims are journaled in buckets this long; the janitor sweeps a bucket once it is
    # RESUME_AFTER_SECONDS old, every JANITOR_INTERVAL_SECONDS.
    journal_bucket_seconds: float = 5.0
    janitor_interval_seconds: float = 5.0
    # How long a claim waits for another replica to finish the email's earlier claim.
    wait_for_holder_seconds: float = 30.0
    max_body_bytes: int = 16_384
    # Tests only (crash-safety test of the janitor): exit before publishing an outcome for this email.
    test_crash_before_publish_email: str | None = None
