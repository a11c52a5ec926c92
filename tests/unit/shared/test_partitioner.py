"""The remembering partitioner sends every key where aiokafka's default partitioner would."""

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from coupon_shared.kafka import RememberingPartitioner


@given(keys=st.lists(st.binary(max_size=40), min_size=1, max_size=30), partitions=st.integers(1, 64))
def test_every_key_goes_to_the_default_partitioners_partition(keys: list[bytes], partitions: int) -> None:
    everything = list(range(partitions))
    remembering = RememberingPartitioner(max_keys=8)  # small: the bound is crossed too
    for key in keys + keys:
        assert remembering(key, everything, everything) == DefaultPartitioner()(key, everything, everything)


def test_a_key_remembered_for_one_topic_is_placed_by_the_partition_count_of_another() -> None:
    remembering = RememberingPartitioner()
    key = b"0123456789abcdef0123456789abcdef"
    for count in (8, 3, 8, 1):
        everything = list(range(count))
        assert remembering(key, everything, everything) == DefaultPartitioner()(key, everything, everything)


def test_no_key_goes_to_an_available_partition() -> None:
    assert RememberingPartitioner()(None, [0, 1, 2], [2]) == 2
