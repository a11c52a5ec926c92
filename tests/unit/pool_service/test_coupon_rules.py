from datetime import UTC, datetime

import pytest

from pool_service.domain.coupons import InvalidCouponError, make_coupon, matches_search


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "x" * 65}, "code"),
        ({"code": "has space"}, "code"),
        ({"code": "ctl\x07"}, "code"),
        ({"code": "ok", "message": "m" * 501}, "message"),
        ({"code": "ok", "user_expiration": "30 days"}, "user_expiration"),
        ({"code": "ok", "user_expiration": "P0D"}, "user_expiration"),
        ({"code": "ok", "max_assignments": 0}, "max_assignments"),
    ],
)
def test_each_rule_names_its_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidCouponError) as raised:
        make_coupon(**fields)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_a_full_coupon() -> None:
    coupon = make_coupon("A-1", "hello", datetime(2030, 1, 1), "pt12h", None)
    assert coupon.pool_expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert coupon.user_expiration == "PT12H"
    assert coupon.max_assignments is None
    assert coupon.is_expired(datetime(2030, 1, 1, tzinfo=UTC))
    assert not coupon.is_expired(datetime(2029, 12, 31, tzinfo=UTC))


def test_search_is_a_case_insensitive_substring_of_the_code() -> None:
    assert matches_search("SUMMER-2026", "mer-2")
    assert not matches_search("SUMMER-2026", "winter")
    assert matches_search("anything", None)
