"""Generate (or check) the published JSON Schema of every event type.

python -m coupon_shared.json_schemas write shared/schemas
python -m coupon_shared.json_schemas check shared/schemas
"""

import json
import sys
from pathlib import Path

from coupon_shared.events import ALL_EVENT_TYPES


def render_schemas() -> dict[str, str]:
    """File name → JSON text, one per event type and version."""
    rendered = {}
    for event_type in ALL_EVENT_TYPES:
        schema = event_type.model_json_schema(mode="serialization")
        name, version = schema["properties"]["type"]["default"], schema["properties"]["version"]["default"]
        schema["$id"] = f"https://coupon-pools.dev/schemas/{name}.v{version}.json"
        rendered[f"{name}.v{version}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return rendered


def stale_files(folder: Path) -> list[str]:
    """Names that differ from what the models render, are missing, or are extra."""
    expected = render_schemas()
    present = {p.name: p.read_text() for p in folder.glob("*.json")}
    names = set(expected) | set(present)
    return sorted(name for name in names if expected.get(name) != present.get(name))


def main(argv: list[str]) -> int:
    command, folder = argv[1], Path(argv[2])
    if command == "write":
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
        for name, text in render_schemas().items():
            (folder / name).write_text(text)
        return 0
    stale = stale_files(folder)
    if stale:
        print("stale event schemas, run `make schemas`:", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
