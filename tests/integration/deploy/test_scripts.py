"""The local scripts' bad-input behaviour: missing tools and taken ports get a clear message first."""

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
NEEDED = ["bash", "env", "sed", "head", "python3", "java", "mvn", "go", "setsid", "flock"]
NEEDED += ["dirname", "readlink", "ls", "sort", "id", "setpriv"]


def path_without(tmp_path: Path, missing: str) -> str:
    """A PATH holding links to every tool require-tools uses, except ``missing``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in NEEDED:
        # python3 may be a pyenv shim that needs pyenv itself: link the real interpreter.
        real = str(Path(sys.executable).resolve()) if tool == "python3" else shutil.which(tool)
        assert real is not None, f"{tool} should be on this machine"
        if tool != missing:
            (bin_dir / tool).symlink_to(real)
    return str(bin_dir)


def test_all_tools_present_passes(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / "deploy/bin/require-tools")],
        env={"PATH": path_without(tmp_path, "")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("tool", "advice"), [("java", "JDK 17"), ("mvn", "Maven"), ("go", "Go 1.22")])
def test_a_missing_tool_is_named_with_what_to_install(tmp_path: Path, tool: str, advice: str) -> None:
    result = subprocess.run(
        [str(ROOT / "deploy/bin/require-tools")],
        env={"PATH": path_without(tmp_path, tool)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"missing: {tool}")
    assert advice in result.stderr


@pytest.mark.parametrize("script", ["require-tools", "require-postgres"])
def test_a_missing_postgresql_server_is_named_with_what_to_install(tmp_path: Path, script: str) -> None:
    # A named PostgreSQL install without the server: require-postgres does not try apt-get for it.
    empty = tmp_path / "no-postgres"
    empty.mkdir()
    result = subprocess.run(
        [str(ROOT / "deploy/bin" / script)],
        env={"PATH": path_without(tmp_path, ""), "COUPON_POOLS_POSTGRES_BIN": str(empty)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("missing: postgresql")
    assert "apt-get install postgresql" in result.stderr


def test_require_postgres_passes_when_the_server_is_installed() -> None:
    result = subprocess.run([str(ROOT / "deploy/bin/require-postgres")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("option", ["--kafka-port", "--mongo-port"])
def test_a_taken_port_is_refused_by_name_before_anything_starts(tmp_path: Path, taken_port: int, option: str) -> None:
    state = tmp_path / "stack"
    result = subprocess.run(
        [str(ROOT / "deploy/bin/stack"), "up", "--dir", str(state), option, str(taken_port)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode != 0
    assert f"port {taken_port}" in result.stderr
    assert "already in use" in result.stderr
    status = subprocess.run(
        [str(ROOT / "deploy/bin/stack"), "status", "--dir", str(state)], capture_output=True, text=True, check=False
    )
    assert status.returncode != 0, "nothing should have been started"
