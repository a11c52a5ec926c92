"""What a handler can refuse; entrypoints map these to HTTP problems."""


class PoolServiceError(Exception):
    status = 400
    slug = "bad-request"


class PoolNotFoundError(PoolServiceError):
    status, slug = 404, "pool-not-found"

    def __init__(self, pool_id: str) -> None:
        super().__init__(f"No pool {pool_id!r}")


class NameTakenError(PoolServiceError):
    status, slug = 409, "pool-name-taken"

    def __init__(self, name: str) -> None:
        super().__init__(f"A pool named {name!r} already exists (names are compared ignoring case)")


class PoolInUseError(PoolServiceError):
    status, slug = 409, "pool-has-assignments"

    def __init__(self, pool_id: str) -> None:
        super().__init__(f"Coupons of pool {pool_id!r} were assigned; it cannot be deleted")


class DuplicateCodeError(PoolServiceError):
    status, slug = 409, "duplicate-code"

    def __init__(self, code: str) -> None:
        super().__init__(f"The code {code!r} is already in this pool (or was before)")


class CouponNotFoundError(PoolServiceError):
    status, slug = 404, "coupon-not-found"

    def __init__(self, code: str) -> None:
        super().__init__(f"No active coupon {code!r} in this pool")


class CouponAssignedError(PoolServiceError):
    status, slug = 409, "coupon-assigned"

    def __init__(self, code: str) -> None:
        super().__init__(f"The coupon {code!r} was assigned; it cannot be removed")


class ImportNotFoundError(PoolServiceError):
    status, slug = 404, "import-not-found"

    def __init__(self, import_id: str) -> None:
        super().__init__(f"No import {import_id!r} in this pool")


class TooLargeError(PoolServiceError):
    status, slug = 413, "payload-too-large"
