"""In-memory fakes of the claim engine's ports, with the same insert-may-lose semantics as Mongo."""

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from assignment_service.domain.claim import ClaimRecord
from assignment_service.domain.journal import JournalBucket, JournalKey
from assignment_service.domain.model import Assignment, Candidate, Coupon, Outcome
from assignment_service.service_layer.ports import FIRST_USE, RETIRED, SlotContent


class FakeStore:
    """Every call yields to the loop once, so engines sharing a store interleave like replicas."""

    def __init__(self) -> None:
        self.pools: set[str] = set()
        self.stock: dict[str, dict[str, Coupon]] = {}
        self.claims: dict[str, ClaimRecord] = {}
        self.guards: dict[str, str] = {}
        self.slots: dict[str, Assignment | str] = {}
        self.intents: set[tuple[str, int]] = set()
        # bucket → journal entries ("open|rid", "lease|n" → lease end)
        self.journal: dict[JournalKey, dict[str, datetime | None]] = {}
        self.journal_reads = 0
        # pool_id → "open" | "closed": the pool gate, settled by the first insert for good
        self.gates: dict[str, str] = {}

    def add_pool(self, pool_id: str, coupons: Sequence[Coupon] = ()) -> None:
        self.pools.add(pool_id)
        self.stock.setdefault(pool_id, {}).update({c.code: c for c in coupons})

    async def pool_exists(self, pool_id: str) -> bool:
        await asyncio.sleep(0)
        return pool_id in self.pools

    async def open_gate(self, pool_id: str, now: datetime) -> bool:
        await asyncio.sleep(0)
        return self.gates.setdefault(pool_id, "open") == "open"

    def close_gate(self, pool_id: str) -> bool:
        """pool-service's delete settling the gate; the pool still looks live, as to a claim racing the delete.

        False: a claim opened the gate first (the delete answers 409).
        """
        return self.gates.setdefault(pool_id, "closed") == "closed"

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        """Each replica reads its own pass; here, one batch holding the whole current stock."""
        await asyncio.sleep(0)
        return list(self.stock.get(pool_id, {}).values()), True

    async def insert_claims(self, records: Sequence[ClaimRecord]) -> list[bool]:
        await asyncio.sleep(0)
        won = []
        for record in records:
            rid = record.request.request_id
            won.append(rid not in self.claims)
            self.claims.setdefault(rid, record)
        return won

    async def get_claim(self, request_id: str) -> ClaimRecord | None:
        await asyncio.sleep(0)
        return self.claims.get(request_id)

    async def add_intents(self, intents: Sequence[tuple[str, int, Candidate | None]]) -> list[bool]:
        await asyncio.sleep(0)
        won = []
        for rid, attempt, candidate in intents:
            won.append((rid, attempt) not in self.intents)
            if won[-1]:
                self.intents.add((rid, attempt))
                self.claims[rid] = replace(self.claims[rid], intent=candidate, attempt=attempt)
        return won

    async def insert_outcomes(self, outcomes: Sequence[Outcome]) -> list[bool]:
        await asyncio.sleep(0)
        won = []
        for outcome in outcomes:
            record = self.claims[outcome.request_id]
            won.append(record.outcome is None)
            if record.outcome is None:
                self.claims[outcome.request_id] = record.with_outcome(outcome)
        return won

    async def insert_guards(self, guards: Sequence[tuple[str, str]]) -> list[bool]:
        await asyncio.sleep(0)
        won = []
        for gid, rid in guards:
            won.append(gid not in self.guards)
            self.guards.setdefault(gid, rid)
        return won

    async def guard_holder(self, guard_id: str) -> str | None:
        await asyncio.sleep(0)
        return self.guards.get(guard_id)

    async def release_guards(self, guard_ids: Sequence[str]) -> None:
        await asyncio.sleep(0)
        for guard_id in guard_ids:
            self.guards.pop(guard_id, None)

    async def insert_slots(self, slots: Sequence[tuple[str, Assignment]]) -> list[bool]:
        await asyncio.sleep(0)
        won = []
        for sid, assignment in slots:
            won.append(sid not in self.slots)
            self.slots.setdefault(sid, assignment)
        return won

    async def get_slot(self, slot_id: str) -> SlotContent:
        await asyncio.sleep(0)
        content = self.slots.get(slot_id)
        if content is None:
            return None
        if content == FIRST_USE:
            return FIRST_USE
        return content if isinstance(content, Assignment) else RETIRED

    async def mark_first_uses(self, slot_ids: Sequence[str]) -> list[bool]:
        await asyncio.sleep(0)
        won = []
        for sid in slot_ids:
            won.append(sid not in self.slots)
            self.slots.setdefault(sid, FIRST_USE)
        return won

    async def open_claims(self, key: JournalKey, request_ids: Sequence[str]) -> None:
        await asyncio.sleep(0)
        for rid in request_ids:
            self.journal.setdefault(key, {}).setdefault(f"open|{rid}", None)

    async def journal_buckets(self) -> list[JournalKey]:
        await asyncio.sleep(0)
        return sorted(self.journal)

    async def read_journal(self, key: JournalKey) -> JournalBucket:
        await asyncio.sleep(0)
        self.journal_reads += 1
        entries = self.journal.get(key, {})
        opened = {k.split("|", 1)[1] for k in entries if k.startswith("open")}
        leases = {int(k.split("|")[1]): until for k, until in entries.items() if k.startswith("lease") and until}
        return JournalBucket(frozenset(opened), frozenset(), leases)

    async def lease_journal(self, key: JournalKey, generation: int, until: datetime) -> bool:
        await asyncio.sleep(0)
        entries = self.journal.setdefault(key, {})
        if f"lease|{generation}" in entries:
            return False
        entries[f"lease|{generation}"] = until
        return True

    async def drop_journal(self, key: JournalKey) -> None:
        await asyncio.sleep(0)
        self.journal.pop(key, None)

    async def pool_ids(self) -> list[str]:
        await asyncio.sleep(0)
        return sorted(self.pools)

    def retire(self, pool_id: str, code: str) -> bool:
        """What pool-service does to remove an unassigned coupon."""
        sid = f"{pool_id}:{code}:0"
        if sid in self.slots:
            return False
        self.slots[sid] = "retired"
        self.stock[pool_id].pop(code, None)
        return True


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[Outcome] = []

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        await asyncio.sleep(0)
        self.published.extend(outcomes)
