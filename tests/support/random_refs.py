"""Random names so that tests running in parallel never collide."""

import uuid


def random_suffix() -> str:
    return uuid.uuid4().hex[:10]


def random_pool_name(prefix: str = "pool") -> str:
    return f"{prefix}-{random_suffix()}"


def random_email() -> str:
    return f"customer-{random_suffix()}@example.com"


def random_request_id() -> str:
    return f"req-{uuid.uuid4().hex}"


def random_db_name() -> str:
    return f"test_{random_suffix()}"
