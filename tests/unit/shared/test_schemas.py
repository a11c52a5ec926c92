from pathlib import Path

from coupon_shared.json_schemas import render_schemas, stale_files

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "schemas"


def test_published_schemas_match_the_models() -> None:
    assert stale_files(SCHEMAS) == [], "run `make schemas` and commit shared/schemas"


def test_every_event_type_has_a_schema_with_its_envelope() -> None:
    rendered = render_schemas()
    assert len(rendered) == 11
    for text in rendered.values():
        assert all(field in text for field in ('"event_id"', '"occurred_at"', '"data"', '"version"'))


def test_a_stale_folder_is_detected(tmp_path: Path) -> None:
    for name, text in render_schemas().items():
        (tmp_path / name).write_text(text)
    (tmp_path / "CouponAssigned.v1.json").write_text("{}")
    (tmp_path / "Old.v1.json").write_text("{}")
    assert stale_files(tmp_path) == ["CouponAssigned.v1.json", "Old.v1.json"]
