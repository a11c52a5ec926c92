"""The claim engine: one batch of claims in a handful of bulk inserts.

Every step is an unordered insert that may lose to an existing ``_id``:

1. ``claims``       — the request, with the coupon use it intends to take. Losing
                      means a repeat: it is answered from the stored claim.
2. ``pool_emails``  — one coupon per email per pool. Losing means the email is
                      served by another request: this one gets that coupon.
3. ``pool_gates``   — settled ``open`` before a pool's first slot. Finding it
                      ``closed`` means pool-service deleted the pool: the claim
                      is rejected ``pool_not_found`` with no slot taken.
4. ``slots``        — one use of one coupon. Losing means the use is taken: the
                      claim records its next intent and tries again. An
                      unlimited coupon's slot 0 is taken first as its
                      first-use marker, so pool-service cannot retire a used one.

Nothing else decides who gets what, so replicas, redeliveries and restarts can
only lose inserts, never hand out a use twice. Outcomes are published after the
winning insert (the slot *is* the stored assignment), then stored in
``claim_outcomes``; a claim found without one is finished again (resumed).

Two processes may finish one claim (a janitor and a late owner): each later
intent is an insert too, and only the process that recorded intent k tries a new
use for it — the other defers; both may try a recorded use, and the one that
loses its slot finds it held by the same request.
HTTP claims are journaled (``domain/journal.py``) so that a janitor finishes them
if their process dies and their client never retries.
"""

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from assignment_service.domain.claim import (
    Answer,
    ClaimRecord,
    Deferred,
    Result,
    follow,
    new_record,
    repeat_of,
)
from assignment_service.domain.journal import JournalKey, OwnBuckets, bucket_of
from assignment_service.domain.model import (
    Assignment,
    Candidate,
    ClaimRequest,
    Outcome,
    Rejection,
    RejectionReason,
    assign,
    email_guard_id,
    slot_id,
)
from assignment_service.service_layer.ports import FIRST_USE, RETIRED, ClaimStore, OutcomePublisher, SlotContent
from assignment_service.service_layer.stock import StockCandidates

log = logging.getLogger(__name__)


@dataclass
class _Work:
    """A claim this process is deciding in the current batch."""

    request: ClaimRequest
    intent: Candidate | None
    resumed: bool = False
    attempt: int = 0
    intent_stored: bool = True
    fresh_guard: bool = False

    @property
    def guard_id(self) -> str:
        return email_guard_id(self.request.pool_id, self.request.email)


@dataclass
class _Batch:
    now: datetime
    bucket: int
    results: dict[str, Result] = field(default_factory=dict)
    journaled: list[str] = field(default_factory=list)
    decided: list[Outcome] = field(default_factory=list)
    # Every use the batch took from the candidate queues, given back if the batch fails.
    taken: list[tuple[str, Candidate]] = field(default_factory=list)

    def answer(self, outcome: Outcome, *, replayed: bool = False, existing: bool = False) -> None:
        self.results[outcome.request_id] = Answer(outcome, replayed=replayed, existing=existing)
        if not replayed:
            self.decided.append(outcome)


class ClaimEngine:
    def __init__(
        self,
        store: ClaimStore,
        publisher: OutcomePublisher,
        candidates: StockCandidates,
        clock: Callable[[], datetime],
        *,
        resume_after: float = 10.0,
        journal_bucket_seconds: float = 5.0,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._candidates = candidates
        self._clock = clock
        self._resume_after = resume_after
        self._bucket_seconds = journal_bucket_seconds
        # This process's journal buckets are its own: a fresh name per engine, so per process.
        self._journal_owner = uuid.uuid4().hex[:12]
        self._own_buckets = OwnBuckets(journal_bucket_seconds)
        # Slot-0 ids of unlimited coupons whose first-use marker is known to be there: never retired now.
        self._first_used: set[str] = set()
        # Claims this process inserted and has not finished: it may resume them at once.
        self._owned: set[str] = set()
        # The candidate queues are per process; one batch at a time decides. Publishing and
        # storing outcomes runs outside the lock, so the next batch decides meanwhile.
        # (Two deciding at once, measured in session 6: no more claims/s, a slower p50 —
        # smaller batches, more round trips for the same claims.)
        self._lock = asyncio.Lock()
        # Requests some batch of this process is deciding or finishing: a repeat of one in
        # another batch waits (deferred) instead of finishing the same claim a second time.
        self._busy: set[str] = set()

    async def claim(
        self, requests: Sequence[ClaimRequest], decided: Callable[[Mapping[str, Result]], None] | None = None
    ) -> list[Result]:
        """Decide, publish and store the outcome of every request; answers in request order.

        ``decided`` hears each batch's results once they are decided, before they are
        published and stored: an HTTP client need not wait for those round trips. Every
        such answer is already in the store (the slot won, the attempt that found no use,
        the email's guard), a repeat meanwhile waits (the request is busy), and after a
        crash the claim is resumed — by the journal's janitor if its client never asks
        again — to the same outcome and event. So an answer given early is never
        contradicted, and its event is still published once.
        """
        results: list[Result | None] = [None] * len(requests)
        remaining = list(enumerate(requests))
        # A request_id twice in one batch: the second is decided after the first, as a repeat.
        while remaining:
            first: dict[str, tuple[int, ClaimRequest]] = {}
            for position, request in remaining:
                first.setdefault(request.request_id, (position, request))
            mine: list[tuple[int, ClaimRequest]] = []
            for position, request in first.values():
                if request.request_id in self._busy:
                    results[position] = Deferred(request.request_id)
                else:
                    mine.append((position, request))
            if mine:
                batch = await self._run([request for _, request in mine], decided)
                for position, request in mine:
                    results[position] = batch.results[request.request_id]
            remaining = [(p, r) for p, r in remaining if results[p] is None]
        return [result for result in results if result is not None]

    async def _run(
        self, requests: list[ClaimRequest], decided: Callable[[Mapping[str, Result]], None] | None
    ) -> _Batch:
        taken = {request.request_id for request in requests}
        self._busy |= taken
        batch: _Batch | None = None
        stored = False
        try:
            async with self._lock:
                now = self._clock()
                batch = _Batch(now=now, bucket=bucket_of(now, self._bucket_seconds))
                try:
                    await self._decide(requests, batch)
                except BaseException:
                    # A use taken is known to this process only: kept, it would be hidden from its
                    # claims for good. Giving back one the batch did take costs a lost insert later.
                    for pool_id, candidate in reversed(batch.taken):
                        self._give_back(pool_id, candidate)
                    raise
            if decided is not None:
                decided(batch.results)
            await self._publisher.publish(batch.decided)
            await self._store_outcomes(batch)
            stored = True
        finally:
            self._busy -= taken
            if batch is not None and batch.journaled:
                finished = stored and all(isinstance(batch.results.get(rid), Answer) for rid in batch.journaled)
                self._own_buckets.closed(batch.bucket, all_finished=finished)
        await self.drop_finished_journals()
        return batch

    async def drop_finished_journals(self) -> None:
        """Drop this process's journal buckets whose claims all have their outcomes stored.

        No janitor has to read them then. One that cannot be dropped now is left to the
        janitors: once due, it is read and its claims are found finished.
        """
        for bucket in self._own_buckets.finished(self._clock()):
            try:
                await self._store.drop_journal(JournalKey(bucket, self._journal_owner))
            except Exception:
                log.warning("dropping journal bucket %d failed; a janitor sweeps it", bucket, exc_info=True)

    async def _decide(self, requests: list[ClaimRequest], batch: _Batch) -> None:
        # Kafka claims come back by redelivery; only HTTP claims need the journal to be finished after a crash.
        batch.journaled = [r.request_id for r in requests if r.origin == "http"]
        if batch.journaled:
            self._own_buckets.opened(batch.bucket)
            await self._store.open_claims(JournalKey(batch.bucket, self._journal_owner), batch.journaled)
        records = [await self._new_record(request, batch) for request in requests]
        won = await self._store.insert_claims(records)
        work: list[_Work] = []
        repeats: list[ClaimRequest] = []
        for record, created in zip(records, won, strict=True):
            if not created:
                self._give_back(record.request.pool_id, record.intent)
                repeats.append(record.request)
            elif record.outcome is not None:
                batch.answer(record.outcome)
            else:
                self._owned.add(record.request.request_id)
                work.append(_Work(record.request, record.intent))
        work += await self._repeats(repeats, batch)
        await self._settle(work, batch)

    async def _new_record(self, request: ClaimRequest, batch: _Batch) -> ClaimRecord:
        if not await self._store.pool_exists(request.pool_id):
            record = new_record(request, batch.now, None)
            return record.with_outcome(_reject(request, "pool_not_found", "no such pool"))
        return new_record(request, batch.now, await self._take(request.pool_id, batch))

    async def _take(self, pool_id: str, batch: _Batch) -> Candidate | None:
        candidate = await self._candidates.take(pool_id, batch.now)
        if candidate is not None:
            batch.taken.append((pool_id, candidate))
        return candidate

    def _give_back(self, pool_id: str, candidate: Candidate | None) -> None:
        if candidate is not None:
            self._candidates.queue(pool_id).give_back(candidate)

    async def _repeats(self, requests: list[ClaimRequest], batch: _Batch) -> list[_Work]:
        """Answer repeats from their stored claim; resume pending ones this process may finish."""
        stored = await asyncio.gather(*(self._store.get_claim(r.request_id) for r in requests))
        resumable: list[_Work] = []
        for request, record in zip(requests, stored, strict=True):
            if record is None:
                batch.results[request.request_id] = Deferred(request.request_id)
            elif conflict := repeat_of(record, request):
                batch.results[request.request_id] = conflict
            elif record.outcome is not None:
                batch.answer(record.outcome, replayed=True)
            elif not self._may_resume(record, request, batch.now):
                batch.results[request.request_id] = Deferred(request.request_id)
            elif record.ran_dry:
                # Decided exhausted (and maybe published) before a crash: the same answer again.
                batch.answer(_no_coupon_left(record.request))
            else:
                self._owned.add(request.request_id)
                resumable.append(_Work(record.request, record.intent, resumed=True, attempt=record.attempt))
        return resumable

    def _may_resume(self, record: ClaimRecord, request: ClaimRequest, now: datetime) -> bool:
        # Kafka claims have one processor at a time: the owner of their partition.
        if record.request.request_id in self._owned:
            return True
        if record.request.origin == "kafka" and request.origin == "kafka":
            return True
        return record.is_old(now, self._resume_after)

    async def _settle(self, work: list[_Work], batch: _Batch) -> None:
        """Take the email guards, then the slots; a claim never takes a slot without holding its guard."""
        ready: list[_Work] = []
        exhausted: list[_Work] = []
        followers: list[tuple[_Work, str | None]] = []
        while work:
            empty_handed, refilled = await self._guard_round(work, batch, ready, followers)
            # A follower gives its use back: a claim of that pool that found the queue empty
            # may take it (another email of the batch), so it is not told the pool is exhausted.
            work, dry = _split_refilled(empty_handed, refilled)
            exhausted += dry
        await self._exhausted(exhausted, batch)
        await self._take_slots(ready, batch)
        await self._follow(followers, batch)

    async def _guard_round(
        self, work: list[_Work], batch: _Batch, ready: list[_Work], followers: list[tuple[_Work, str | None]]
    ) -> tuple[list[_Work], set[str]]:
        """One insert of email guards: sorts ``work`` into ``ready`` (holds its guard) and ``followers``.

        Returns the claims that found no use and no holder, and the pools followers gave uses back to.
        """
        for w in work:
            if w.intent is None:
                w.intent = await self._take(w.request.pool_id, batch)
                w.intent_stored = w.intent is None
        hopeful = [w for w in work if w.intent is not None]
        won = await self._store.insert_guards([(w.guard_id, w.request.request_id) for w in hopeful])
        for w, created in zip(hopeful, won, strict=True):
            w.fresh_guard = created
        uncertain = [w for w in work if not w.fresh_guard]
        holders = await asyncio.gather(*(self._store.guard_holder(w.guard_id) for w in uncertain))
        held = dict(zip((w.request.request_id for w in uncertain), holders, strict=True))
        empty_handed: list[_Work] = []
        refilled: set[str] = set()
        for w in work:
            holder = w.request.request_id if w.fresh_guard else held[w.request.request_id]
            if holder == w.request.request_id:
                ready.append(w)
            elif holder is None and w.intent is None:
                empty_handed.append(w)
            else:
                if w.intent is not None:
                    refilled.add(w.request.pool_id)
                self._give_back(w.request.pool_id, w.intent)
                followers.append((w, holder))
        return empty_handed, refilled

    async def _take_slots(self, ready: list[_Work], batch: _Batch) -> None:
        while ready:
            ready = await self._with_intents(ready, batch)
            ready = await self._through_gates(ready, batch)
            await self._first_uses(ready)
            attempts = [(w, w.intent, assign(w.request, w.intent, batch.now)) for w in ready if w.intent]
            won = await self._store.insert_slots(
                [(intent.slot_for(w.request.pool_id, w.request.email), a) for w, intent, a in attempts]
            )
            ready = [w for w in ready if w.intent is None]
            lost: list[tuple[_Work, Candidate]] = []
            for (w, intent, assignment), created in zip(attempts, won, strict=True):
                if created:
                    batch.answer(assignment)
                else:
                    lost.append((w, intent))
            if lost:
                tried = Counter(w.request.pool_id for w, _, _ in attempts)
                ready += await self._after_lost(lost, tried, batch)

    async def _after_lost(self, lost: list[tuple[_Work, Candidate]], tried: Counter[str], batch: _Batch) -> list[_Work]:
        """Answer the claims whose lost slot holds their own request; return those to try another use for.

        The slots are read in one concurrent round: with two replicas on one pool, half a batch's
        slots can be lost, and reading them one after another (under the lock) collapsed the rate.
        """
        held = await asyncio.gather(
            *(self._store.get_slot(intent.slot_for(w.request.pool_id, w.request.email)) for w, intent in lost)
        )
        again: list[_Work] = []
        taken = Counter[str]()
        for (w, intent), content in zip(lost, held, strict=True):
            # A lost slot may hold this very request: taken by another process finishing it.
            if (own := _own_assignment(content, w.request)) is not None:
                batch.answer(own)
                continue
            if isinstance(content, Assignment):
                taken[w.request.pool_id] += 1
            self._lost(w, intent, content)
            again.append(w)
        for pool_id, count in taken.items():
            # Half a round lost to other claims: another replica is taking these uses.
            if 2 * count >= tried[pool_id]:
                self._candidates.skip_ahead(pool_id)
        return again

    async def _with_intents(self, ready: list[_Work], batch: _Batch) -> list[_Work]:
        """Give every claim a use to try, recorded before the try; no use left → exhausted.

        A claim whose record loses (another process is finishing it) gives its use back,
        so claims of that pool that found none try again before they are told "exhausted".
        """
        recorded: list[_Work] = []
        exhausted: list[_Work] = []
        while ready:
            for w in ready:
                if w.intent is None:
                    w.intent = await self._take(w.request.pool_id, batch)
                    w.intent_stored = False
            fresh = [w for w in ready if w.intent is not None and not w.intent_stored]
            for w in fresh:
                w.attempt += 1
                w.intent_stored = True
            won = await self._store.add_intents([(w.request.request_id, w.attempt, w.intent) for w in fresh])
            refilled: set[str] = set()
            for w, created in zip(fresh, won, strict=True):
                if not created:
                    # Another process recorded this attempt and is finishing the claim: it alone picks the use.
                    refilled.add(w.request.pool_id)
                    self._give_back(w.request.pool_id, w.intent)
                    w.intent = None
                    self._owned.discard(w.request.request_id)
                    batch.results[w.request.request_id] = Deferred(w.request.request_id)
            recorded += [w for w in ready if w.intent is not None]
            empty_handed = [w for w in ready if w.intent is None and w.request.request_id not in batch.results]
            # Each round is started by at least one claim deferred in the last, so the rounds end.
            ready, dry = _split_refilled(empty_handed, refilled)
            exhausted += dry
        await self._exhausted(exhausted, batch)
        return recorded

    async def _through_gates(self, ready: list[_Work], batch: _Batch) -> list[_Work]:
        """Open each pool's gate before its first slot (slot-0 markers included); a closed one means deleted.

        ``pool_exists`` may answer from a cache or race a delete: the gate's unique
        insert decides for good whether this pool's slots may be taken or the
        delete wins (``coupon_shared.pool_gates``).
        """
        pools = list(dict.fromkeys(w.request.pool_id for w in ready))
        opened = await asyncio.gather(*(self._store.open_gate(pool_id, batch.now) for pool_id in pools))
        closed = {pool_id for pool_id, is_open in zip(pools, opened, strict=True) if not is_open}
        if not closed:
            return ready
        deleted = [w for w in ready if w.request.pool_id in closed]
        # As for exhausted claims: guards released before the rejections are published.
        await self._store.release_guards([w.guard_id for w in deleted if w.fresh_guard])
        for w in deleted:
            self._give_back(w.request.pool_id, w.intent)
            w.intent = None
            batch.answer(_reject(w.request, "pool_not_found", "no such pool"))
        return [w for w in ready if w.request.pool_id not in closed]

    async def _first_uses(self, ready: list[_Work]) -> None:
        """Take slot 0 of an unlimited coupon before its first use; a retired coupon's slot 0 is the removal's.

        Without it, a used unlimited coupon (uses are per-email slots) would look
        unassigned to pool-service's removal, which reserves slot 0.
        """
        unmarked = {
            slot_id(w.request.pool_id, w.intent.coupon.code, 0): (w.request.pool_id, w.intent.coupon.code)
            for w in ready
            if w.intent is not None and w.intent.coupon.max_assignments is None
        }
        unmarked = {sid: ref for sid, ref in unmarked.items() if sid not in self._first_used}
        if not unmarked:
            return
        won = await self._store.mark_first_uses(list(unmarked))
        retired: set[str] = set()
        for sid, created in zip(unmarked, won, strict=True):
            if created or await self._store.get_slot(sid) == FIRST_USE:
                self._first_used.add(sid)
            else:
                retired.add(sid)
                pool_id, code = unmarked[sid]
                self._candidates.queue(pool_id).drop(code)
        for w in ready:
            if w.intent is not None and slot_id(w.request.pool_id, w.intent.coupon.code, 0) in retired:
                w.intent = None

    async def _earlier(self, request: ClaimRequest, intent: Candidate) -> Assignment | None:
        """A resumed claim may have taken its intended use before the crash."""
        return _own_assignment(await self._store.get_slot(intent.slot_for(request.pool_id, request.email)), request)

    def _lost(self, w: _Work, intent: Candidate, held: SlotContent) -> None:
        """The use was taken; a retired coupon (slot 0 held by pool-service) is dropped altogether."""
        w.intent = None
        reusable_first_use = intent.n == 0 and intent.coupon.max_assignments != 1
        if reusable_first_use and (intent.coupon.max_assignments is None or held == RETIRED):
            self._candidates.queue(w.request.pool_id).drop(intent.coupon.code)

    async def _exhausted(self, work: list[_Work], batch: _Batch) -> None:
        """Record each claim's attempt as finding no use, then answer it ``pool_exhausted``.

        The record is an intent insert like any other: of two processes finishing one
        claim (or a resume after this one published and died) only the one that records
        the attempt decides it, so a claim told "exhausted" is never given a code later.
        """
        for w in work:
            w.attempt += 1
        won = await self._store.add_intents([(w.request.request_id, w.attempt, None) for w in work])
        decided: list[_Work] = []
        for w, created in zip(work, won, strict=True):
            if created:
                decided.append(w)
            else:
                # Another process recorded this attempt and is finishing the claim: it decides.
                self._owned.discard(w.request.request_id)
                batch.results[w.request.request_id] = Deferred(w.request.request_id)
        # Released after the record (a process that lost it may be assigning a code under this
        # guard) and before the rejections are published. A crash before the release leaves the
        # email's guard held by a rejected claim (ARCHITECTURE.md). Only the insert that created
        # a guard releases it, so no one else's is lost.
        await self._store.release_guards([w.guard_id for w in decided if w.fresh_guard])
        for w in decided:
            batch.answer(_no_coupon_left(w.request))

    async def _follow(self, followers: list[tuple[_Work, str | None]], batch: _Batch) -> None:
        """Each email is served by one holder: a follower gets the holder's coupon once it has one."""
        answers: list[tuple[Outcome, bool]] = []
        for w, holder in followers:
            held = await self._holder_outcome(holder, batch) if holder else None
            if isinstance(held, Assignment):
                answers.append((follow(held, w.request), True))
            elif isinstance(held, Rejection):
                # The holder was rejected but kept the guard (it crashed mid-claim): nothing to give.
                answers.append((_no_coupon_left(w.request), False))
            else:
                batch.results[w.request.request_id] = Deferred(w.request.request_id)
        for outcome, existing in answers:
            batch.answer(outcome, existing=existing)

    async def _holder_outcome(self, holder: str, batch: _Batch) -> Outcome | None:
        result = batch.results.get(holder)
        if isinstance(result, Answer):
            return result.outcome if isinstance(result.outcome, Assignment) else None
        record = await self._store.get_claim(holder)
        if record is None or record.outcome is not None or record.intent is None:
            return record.outcome if record else None
        return await self._earlier(record.request, record.intent)

    async def _store_outcomes(self, batch: _Batch) -> None:
        # Stored once published: a crash between the two leaves an outcome unstored, which a repeat
        # (or the janitor, the journal bucket being still there) resumes to the same event.
        await self._store.insert_outcomes(batch.decided)
        for rid, result in batch.results.items():
            # A Conflict is another body under the key: the key's own claim may still be this process's.
            if isinstance(result, Answer):
                self._owned.discard(rid)


def _own_assignment(content: SlotContent, request: ClaimRequest) -> Assignment | None:
    """The slot's assignment if it is this very request's (taken before a crash, or by another process)."""
    return content if isinstance(content, Assignment) and content.request_id == request.request_id else None


def _reject(request: ClaimRequest, reason: RejectionReason, detail: str) -> Rejection:
    return Rejection(request.request_id, request.pool_id, request.email, reason, detail)


def _no_coupon_left(request: ClaimRequest) -> Rejection:
    return _reject(request, "pool_exhausted", "the pool has no coupon left")


def _split_refilled(empty_handed: list[_Work], refilled: set[str]) -> tuple[list[_Work], list[_Work]]:
    """Claims that found no use: those of a pool a use was just given back to, and the rest (exhausted)."""
    again = [w for w in empty_handed if w.request.pool_id in refilled]
    return again, [w for w in empty_handed if w.request.pool_id not in refilled]
