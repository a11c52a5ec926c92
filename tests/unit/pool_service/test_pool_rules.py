import pytest

from pool_service.domain.pools import InvalidPoolNameError, clean_pool_name, name_key


def test_name_is_trimmed() -> None:
    assert clean_pool_name("  Welcome ") == "Welcome"


@pytest.mark.parametrize("raw", ["", "   ", "x" * 101, "bad\x00name", "tab\tname", "zero\u200bwidth"])
def test_invalid_names_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPoolNameError):
        clean_pool_name(raw)


def test_hundred_characters_is_allowed() -> None:
    assert clean_pool_name("x" * 100) == "x" * 100


def test_names_compare_ignoring_case() -> None:
    assert name_key("VIP Straße") == name_key("vip STRASSE")
