"""A burst of claims over HTTP and Kafka at once, and the invariants every burst must keep."""

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaProducer, ConsumerRecord

from coupon_shared.events import ClaimRequested, ClaimRequestedData, encode_event, parse_event
from coupon_shared.topics import ASSIGNED, CLAIM_REQUESTS


@dataclass(frozen=True)
class Ask:
    request_id: str
    email: str


@dataclass
class HttpAnswers:
    status: dict[str, int] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)


async def produce_claims(
    bootstrap: str, pool_id: str, asks: Sequence[Ask], *, chunk: int = 0, pause: float = 0.0
) -> None:
    """Produce a ClaimRequested per ask; with ``chunk``, pause between chunks so the claims flow for a while."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = []
        for n, ask in enumerate(asks):
            if chunk and n and n % chunk == 0:
                await asyncio.sleep(pause)
            data = ClaimRequestedData(request_id=ask.request_id, pool_id=pool_id, email=ask.email, source="race")
            value = encode_event(ClaimRequested(data=data))
            futures.append(await producer.send(CLAIM_REQUESTS, value=value, key=pool_id.encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def post_claims(
    urls: Sequence[str], pool_id: str, asks: Sequence[Ask], auth: dict[str, str], concurrency: int = 64
) -> HttpAnswers:
    """Post every ask, spread over ``urls``; a failed connection retries the same key elsewhere."""
    answers = HttpAnswers()
    queue: asyncio.Queue[Ask] = asyncio.Queue()
    for ask in asks:
        queue.put_nowait(ask)
    targets = itertools.cycle(urls)
    async with httpx.AsyncClient(headers=auth, timeout=30.0) as client:

        async def worker() -> None:
            while not queue.empty():
                ask = queue.get_nowait()
                await _post_until_answered(client, targets, pool_id, ask, answers)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answers


async def _post_until_answered(
    client: httpx.AsyncClient, targets: "itertools.cycle[str]", pool_id: str, ask: Ask, answers: HttpAnswers
) -> None:
    for _ in range(300):
        url = next(targets)
        try:
            response = await client.post(
                f"{url}/v1/pools/{pool_id}/claims",
                json={"email": ask.email},
                headers={"Idempotency-Key": ask.request_id},
            )
        except httpx.TransportError:
            await asyncio.sleep(0.2)
            continue
        if response.status_code >= 500:
            await asyncio.sleep(0.2)
            continue
        answers.status[ask.request_id] = response.status_code
        if response.status_code in (200, 201):
            answers.code[ask.request_id] = response.json()["code"]
        return
    raise AssertionError(f"no answer for {ask.request_id}")


def outcomes_by_request(records: Sequence[ConsumerRecord], pool_id: str) -> dict[str, set[tuple[str, str, str]]]:
    """request_id → the distinct (event_id, type, code-or-reason) published for it."""
    found: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for record in records:
        event = parse_event(record.value)
        data = event.data
        if getattr(data, "pool_id", None) != pool_id:
            continue
        detail = data.code if record.topic == ASSIGNED else data.reason  # type: ignore[union-attr]
        found[data.request_id].add((str(event.event_id), event.type, detail))  # type: ignore[union-attr]
    return found


def count_for_pool(records: Sequence[ConsumerRecord], pool_id: str) -> int:
    return len(outcomes_by_request(records, pool_id))


def check_race(
    outcomes: dict[str, set[tuple[str, str, str]]],
    asks: Sequence[Ask],
    codes: Sequence[str],
    http: HttpAnswers,
) -> None:
    assert set(outcomes) == {a.request_id for a in asks}, "every request gets an outcome"
    assert all(len(o) == 1 for o in outcomes.values()), "exactly one outcome (one event_id) per request"
    single = {rid: next(iter(o)) for rid, o in outcomes.items()}
    assigned = [detail for _, kind, detail in single.values() if kind == "CouponAssigned"]
    rejected = [detail for _, kind, detail in single.values() if kind == "ClaimRejected"]
    assert len(assigned) == len(codes), f"{len(assigned)} assigned for {len(codes)} codes"
    assert len(set(assigned)) == len(assigned), "no code twice"
    assert set(assigned) == set(codes)
    assert rejected == ["pool_exhausted"] * (len(asks) - len(codes))
    for rid, status in http.status.items():
        _, kind, detail = single[rid]
        if status in (200, 201):
            assert kind == "CouponAssigned"
            assert http.code[rid] == detail, "the HTTP answer and the event name one code"
        else:
            assert (status, kind) == (409, "ClaimRejected")
