"""Races between replicas, transports and crashes: no code twice, one coupon per email, one outcome each."""

import asyncio

import httpx
import pytest
from pymongo import AsyncMongoClient

from coupon_shared.events import parse_event
from coupon_shared.mongo import Document
from coupon_shared.topics import ASSIGNED, CLAIM_REJECTED
from tests.integration.assignment_service.conftest import Replica, ReplicaFactory, seed_pool
from tests.integration.assignment_service.race import (
    Ask,
    check_race,
    count_for_pool,
    outcomes_by_request,
    post_claims,
    produce_claims,
)
from tests.support.kafka_probe import KafkaProbe
from tests.support.random_refs import random_email, random_request_id

pytestmark = pytest.mark.integration

CODES = [f"RACE-{n:04d}" for n in range(1000)]


def asks(count: int) -> list[Ask]:
    return [Ask(random_request_id(), random_email()) for _ in range(count)]


async def test_2000_claims_for_1000_codes_over_http_and_kafka_on_two_replicas(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    auth: dict[str, str],
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, CODES)
    urls = [replicas().url, replicas().url]
    burst = asks(2000)
    over_http, over_kafka = burst[::2], burst[1::2]
    async with KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe:
        _, http = await asyncio.gather(
            produce_claims(kafka_bootstrap, pool_id, over_kafka), post_claims(urls, pool_id, over_http, auth)
        )
        await probe.wait_for(lambda r: True, timeout=120, count=2000)
        await _settled(probe, pool_id, 2000)
    check_race(outcomes_by_request(probe.records, pool_id), burst, CODES, http)


async def test_one_email_claiming_50_times_over_both_paths_gets_one_coupon(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    auth: dict[str, str],
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, [f"ONE-{n}" for n in range(20)])
    urls = [replicas().url, replicas().url]
    email = random_email()
    same = [Ask(random_request_id(), email) for _ in range(50)]
    async with KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe:
        _, http = await asyncio.gather(
            produce_claims(kafka_bootstrap, pool_id, same[::2]), post_claims(urls, pool_id, same[1::2], auth)
        )
        await _settled(probe, pool_id, 50)
    outcomes = outcomes_by_request(probe.records, pool_id)
    assert all(len(o) == 1 for o in outcomes.values())
    codes = {detail for o in outcomes.values() for _, _, detail in o}
    assert len(codes) == 1
    assert set(http.code.values()) == codes
    assert sorted(http.status.values()).count(201) <= 1
    async with httpx.AsyncClient(base_url=urls[0], headers=auth) as client:
        holdings = (await client.get("/v1/assignments", params={"email": email})).json()["items"]
    assert [h["code"] for h in holdings] == list(codes)


async def test_replays_get_the_same_answer_and_no_new_event(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    auth: dict[str, str],
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, ["R1", "R2", "R3"])
    urls = [replicas().url, replicas().url]
    over_kafka, over_http = asks(2), asks(2)
    async with KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe:
        await produce_claims(kafka_bootstrap, pool_id, over_kafka)
        first = await post_claims(urls, pool_id, over_http, auth)
        await _settled(probe, pool_id, 4)
        await produce_claims(kafka_bootstrap, pool_id, over_kafka)
        again = await post_claims(urls[::-1], pool_id, over_http, auth)
        await asyncio.sleep(3)
    records = [r for r in probe.records if getattr(parse_event(r.value).data, "pool_id", None) == pool_id]
    assert len(records) == 4, "a replay publishes nothing new"
    assert again.code == first.code
    assert again.status == {rid: 409 if status == 409 else 200 for rid, status in first.status.items()}


async def _settled(probe: KafkaProbe, pool_id: str, count: int, timeout: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while count_for_pool(probe.records, pool_id) < count:
        assert loop.time() < deadline, f"{count_for_pool(probe.records, pool_id)} of {count} outcomes"
        await asyncio.sleep(0.2)


async def test_a_replica_killed_mid_burst_breaks_none_of_the_race_invariants(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    auth: dict[str, str],
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, CODES)
    doomed, survivor = replicas(), replicas()
    burst = asks(2000)
    over_http, over_kafka = burst[::2], burst[1::2]

    async def kill_then_restart() -> None:
        await asyncio.sleep(1.5)
        doomed.process.kill()
        await asyncio.to_thread(replicas)

    async with KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe:
        _, http, _ = await asyncio.gather(
            produce_claims(kafka_bootstrap, pool_id, over_kafka),
            post_claims([doomed.url, survivor.url], pool_id, over_http, auth),
            kill_then_restart(),
        )
        await _settled(probe, pool_id, 2000, timeout=180)
    check_race(outcomes_by_request(probe.records, pool_id), burst, CODES, http)


async def test_a_replica_joining_and_one_leaving_mid_burst_break_none_of_the_race_invariants(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    auth: dict[str, str],
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, CODES)
    leaving, staying = replicas(), replicas()
    burst = asks(2000)
    over_http, over_kafka = burst[::2], burst[1::2]
    producing = asyncio.Event()
    flowing_through_rebalances: list[bool] = []
    joined: list[Replica] = []

    async def paced_kafka_claims() -> None:
        producing.set()
        # 40 chunks, 0.5 s apart: claims keep arriving while the group rebalances twice.
        await produce_claims(kafka_bootstrap, pool_id, over_kafka, chunk=25, pause=0.5)
        producing.clear()

    async def join_then_leave() -> None:
        await producing.wait()
        joined.append(await asyncio.to_thread(replicas))  # a third member joins: rebalance
        await asyncio.sleep(1.0)
        await asyncio.to_thread(leaving.process.stop)  # SIGTERM, a graceful leave: rebalance
        flowing_through_rebalances.append(producing.is_set())

    async with KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe:
        _, http, _ = await asyncio.gather(
            paced_kafka_claims(),
            post_claims([leaving.url, staying.url], pool_id, over_http, auth, concurrency=16),
            join_then_leave(),
        )
        await _settled(probe, pool_id, 2000, timeout=180)
    assert flowing_through_rebalances == [True], "both rebalances happened while claims were still produced"
    for replica in (staying, *joined):
        assert replica.process.process.poll() is None, f"a rebalance killed a replica:\n{replica.process.log_tail()}"
    check_race(outcomes_by_request(probe.records, pool_id), burst, CODES, http)
