"""Pool counts, changed only by events, applied by the one consumer that owns the pool's partition.

``active`` counts coupons that can still be handed out, ``assigned`` counts
assignments, ``expired`` coupons that expired before running out, ``total``
coupons ever added and not removed.
"""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class PoolCounts:
    active: int = 0
    assigned: int = 0
    expired: int = 0
    total: int = 0

    def added(self, count: int) -> "PoolCounts":
        return replace(self, active=self.active + count, total=self.total + count)

    def removed(self, count: int) -> "PoolCounts":
        return replace(self, active=self.active - count, total=self.total - count)

    def expired_now(self, count: int) -> "PoolCounts":
        return replace(self, active=self.active - count, expired=self.expired + count)

    def assigned_one(self, exhausted_coupon: bool) -> "PoolCounts":
        return replace(self, assigned=self.assigned + 1, active=self.active - (1 if exhausted_coupon else 0))

    def shown(self) -> "PoolCounts":
        # Events of two topics may arrive in either order (an assignment before the
        # CouponsAdded that stocked it); never show a negative count meanwhile.
        return PoolCounts(*(max(0, v) for v in (self.active, self.assigned, self.expired, self.total)))
