"""A replica killed between answering a claim (its slot stored) and publishing it, whose client
never asks again: the janitor of another replica publishes the CouponAssigned, once, with the code
the client was given."""

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from pymongo import AsyncMongoClient

from assignment_service.adapters.crash_hook import CRASH_EXIT_CODE
from assignment_service.adapters.mongo_store import JOURNAL_PREFIX, MongoClaimStore, read_unless_dropped
from assignment_service.domain.journal import JournalKey
from coupon_shared.events import CouponAssigned, InvalidEventError, parse_event
from coupon_shared.mongo import Document
from coupon_shared.topics import ASSIGNED, CLAIM_REJECTED
from tests.integration.assignment_service.conftest import ReplicaFactory, seed_pool
from tests.support.kafka_probe import KafkaProbe
from tests.support.random_refs import random_email, random_request_id

pytestmark = pytest.mark.integration

# Test replicas: 1 s journal buckets, a 3 s grace (RESUME_AFTER_SECONDS), a sweep every second.
JANITOR_PERIOD = 1 + 3 + 1


async def test_an_abandoned_http_claim_is_published_by_the_janitor_exactly_once(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    auth: dict[str, str],
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, [f"JAN-{n}" for n in range(5)])
    victim, request_id = random_email(), random_request_id()
    survivor = replicas()
    doomed = replicas({"ASSIGNMENT_SERVICE_TEST_CRASH_BEFORE_PUBLISH_EMAIL": victim})
    async with (
        KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe,
        httpx.AsyncClient(headers=auth, timeout=10.0) as client,
    ):
        # Answered once decided; the process dies before publishing.
        answered = await client.post(
            f"{doomed.url}/v1/pools/{pool_id}/claims",
            json={"email": victim},
            headers={"Idempotency-Key": request_id},
        )
        assert answered.status_code == 201
        assert doomed.process.process.wait(timeout=10) == CRASH_EXIT_CODE
        # The slot is won and stored (the claim reads as assigned), but nothing was published.
        stored = (await client.get(f"{survivor.url}/v1/claims/{request_id}")).json()
        assert stored["state"] == "assigned"
        assert stored["assignment"]["code"] == answered.json()["code"]
        assert [r for r in probe.records if _request_of(r.value) == request_id] == []

        # No retry: the janitor alone must publish it, within its period (plus slack for a loaded machine).
        await probe.wait_for(lambda r: _request_of(r.value) == request_id, timeout=JANITOR_PERIOD + 10)
        await asyncio.sleep(2 * JANITOR_PERIOD)  # later sweeps must publish nothing more
        after = (await client.get(f"{survivor.url}/v1/claims/{request_id}")).json()
    published = [parse_event(r.value) for r in probe.records if _request_of(r.value) == request_id]
    assert len(published) == 1, f"{len(published)} events for the claim"
    [event] = published
    assert isinstance(event, CouponAssigned)
    assert event.data.code == stored["assignment"]["code"]
    assert (after["state"], after["assignment"]["code"]) == ("assigned", event.data.code)


def _request_of(value: bytes | None) -> str | None:
    try:
        return getattr(parse_event(value or b"").data, "request_id", None)
    except InvalidEventError:
        return None


async def test_a_journal_bucket_dropped_between_two_reads_counts_as_swept(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    """Two janitors on one bucket: the one that drops it kills the other's cursor mid-read.

    That used to end the slower janitor's round with an error logged (CursorNotFound on
    FerretDB); now the bucket reads as already swept.
    """
    bucket = await mongo_client[db_name].create_collection(f"{JOURNAL_PREFIX}{random_request_id()}")
    await bucket.insert_many([{"_id": f"open|{n}"} for n in range(20)])
    cursor = bucket.find({}, batch_size=2)
    first = await cursor.next()  # the first batch is in, the rest is fetched later
    await bucket.drop()

    assert first["_id"].startswith("open|")
    assert await read_unless_dropped(cursor) is None
    intact = mongo_client[db_name][f"{JOURNAL_PREFIX}{random_request_id()}"]
    await intact.insert_many([{"_id": f"open|{n}"} for n in range(5)])
    assert len(await read_unless_dropped(intact.find({}, batch_size=2)) or []) == 5


async def test_each_process_journals_one_entry_per_batch_in_its_own_bucket(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    store = MongoClaimStore(mongo_client[db_name])
    bucket = 1_800_000_000 + uuid.uuid4().int % 1_000_000
    mine, theirs = JournalKey(bucket, "a1"), JournalKey(bucket, "b2")
    await store.open_claims(mine, ["r1", "r2", "r3"])
    await store.open_claims(mine, ["r4"])
    await store.open_claims(mine, [])
    await store.open_claims(theirs, ["r5"])

    assert await mongo_client[db_name][f"{JOURNAL_PREFIX}{bucket}.a1"].count_documents({}) == 2
    assert {mine, theirs} <= set(await store.journal_buckets())
    assert (await store.read_journal(mine)).unfinished() == ["r1", "r2", "r3", "r4"]
    await store.drop_journal(mine)
    assert mine not in await store.journal_buckets()
    assert (await store.read_journal(theirs)).unfinished() == ["r5"]


async def test_a_shared_bucket_of_an_older_replica_is_still_swept(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    """A replica of the version before session 11 (a rolling upgrade) journaled in a shared bucket."""
    store = MongoClaimStore(mongo_client[db_name])
    bucket = 1_800_000_000 + uuid.uuid4().int % 1_000_000
    await mongo_client[db_name][f"{JOURNAL_PREFIX}{bucket}"].insert_many(
        [
            {"_id": "open|x1", "ids": ["r1", "r2", "r3"]},
            {"_id": "done|x2", "ids": ["r1", "r3"]},
            {"_id": "open|r4"},  # one request's entry, as before session 6
        ]
    )
    legacy = JournalKey(bucket, "")
    assert legacy in await store.journal_buckets()
    assert (await store.read_journal(legacy)).unfinished() == ["r2", "r4"]
    assert await store.lease_journal(legacy, 0, datetime.now(UTC))
    await store.drop_journal(legacy)
    assert legacy not in await store.journal_buckets()
