"""The settings every service shares; each service subclasses with its own env prefix."""

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coupon_shared.auth import parse_api_keys

Environment = Literal["local", "test", "production"]


class ServiceSettings(BaseSettings):
    """Connection and security settings.

    A subclass sets ``model_config = SettingsConfigDict(env_prefix="POOL_SERVICE_")``
    so that every variable of a service is named after it.
    """

    model_config = SettingsConfigDict(extra="ignore")

    environment: Environment = "local"
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_db: str = "coupon_pools"
    # "key:role,key:role" — roles are admin and storefront.
    api_keys: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8000

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "ServiceSettings":
        if self.environment != "production":
            return self
        keys = parse_api_keys(self.api_keys)
        if not keys:
            raise ValueError("api_keys must be set in production")
        if any(key.startswith("dev-") or len(key) < 24 for key in keys):
            raise ValueError("development or short API keys are refused in production")
        return self
