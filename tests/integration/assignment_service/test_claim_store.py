"""The claim store on the real database: a stored claim reads back with its latest attempt."""

import pytest
from pymongo import AsyncMongoClient

from assignment_service.adapters.mongo_store import MongoClaimStore
from assignment_service.domain.claim import new_record
from assignment_service.domain.model import Candidate, Coupon, new_claim
from coupon_shared.events import utc_now
from coupon_shared.mongo import Document
from tests.support.random_refs import random_email, random_request_id

pytestmark = pytest.mark.integration


async def test_a_claim_stored_without_a_use_reads_back_with_the_use_it_recorded_later(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    # Its pool's queue was empty when it was stored; a use taken afterwards is recorded as attempt 1.
    # A resume must see that intent, or it keeps losing attempt 1 and never finishes the claim.
    store = MongoClaimStore(mongo_client[db_name])
    request = new_claim(random_request_id(), "p" * 32, random_email(), "test", "http")
    assert await store.insert_claims([new_record(request, utc_now(), None)]) == [True]
    later = Candidate(Coupon("LATER", max_assignments=2), 1)
    assert await store.add_intents([(request.request_id, 1, later)]) == [True]
    record = await store.get_claim(request.request_id)
    assert record is not None
    assert (record.intent, record.attempt) == (later, 1)


async def test_an_attempt_that_found_no_use_reads_back_as_ran_dry(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    store = MongoClaimStore(mongo_client[db_name])
    request = new_claim(random_request_id(), "p" * 32, random_email(), "test", "kafka")
    tried = Candidate(Coupon("TAKEN"), 0)
    assert await store.insert_claims([new_record(request, utc_now(), tried)]) == [True]
    assert await store.add_intents([(request.request_id, 1, None)]) == [True]
    assert await store.add_intents([(request.request_id, 1, Candidate(Coupon("OTHER"), 0))]) == [False]
    record = await store.get_claim(request.request_id)
    assert record is not None
    assert (record.intent, record.attempt, record.ran_dry) == (None, 1, True)
