"""pool-service settings; every variable is named POOL_SERVICE_<FIELD>."""

from pydantic_settings import SettingsConfigDict

from coupon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="POOL_SERVICE_", extra="ignore")

    http_port: int = 8001
    consumer_group: str = "pool-service"
    # Imports: a file over either limit is refused with 413 before anything is stored.
    import_max_bytes: int = 200 * 1024 * 1024
    import_max_rows: int = 10_000_000
    import_chunk_bytes: int = 1024 * 1024
    # Rows per stored batch: 20,000 imported 15,262 codes/s against 11,000-13,000 with 5,000
    # (pool_bench, 300,000 codes); 50,000 gained nothing more.
    import_batch_rows: int = 20_000
    import_max_line_bytes: int = 64 * 1024
    # An import whose owner has not checkpointed for this long is taken over.
    import_lease_seconds: float = 30.0
    import_poll_interval_seconds: float = 2.0
    outbox_relay_interval_seconds: float = 0.2
    # A single add journalled this long ago and not finished is taken as crashed and completed.
    add_repair_after_seconds: float = 30.0
    stock_level_interval_seconds: float = 60.0
    expiry_sweep_interval_seconds: float = 10.0
    # The pool list is served from memory, refreshed in the background when older than this.
    pool_list_max_age_seconds: float = 1.0
    # The alert service's base URL; the dashboard's forecast is read from it.
    alert_service_url: str | None = None
