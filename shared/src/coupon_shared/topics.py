"""Kafka topic names of the contract. Every topic is keyed by ``pool_id``."""

from typing import Final

CLAIM_REQUESTS: Final = "coupon.claim-requests"
ASSIGNED: Final = "coupon.assigned"
CLAIM_REJECTED: Final = "coupon.claim-rejected"
INVENTORY: Final = "coupon.inventory"
ALERTS: Final = "coupon.alerts"
DEAD_LETTER: Final = "coupon.dead-letter"

ALL_TOPICS: Final = (CLAIM_REQUESTS, ASSIGNED, CLAIM_REJECTED, INVENTORY, ALERTS, DEAD_LETTER)

# Same partition count on every topic: a pool's events land on the same partition
# number everywhere, so one consumer owns a pool across topics (co-partitioning).
PARTITIONS: Final = 8
