"""`archipel serve`: the process that serves is a fresh `node.server` interpreter, not the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import text

from node.db import SQLITE_CACHE_KIB, make_engine
from tests.processes import Process, answers, attempt, free_port, processes, run, wait_for

LEFT_OUT = ("typer", "rich", "pygments", "alembic", "pydantic.v1", "watchfiles", "uvloop")


def test_serve_migrates_then_becomes_the_server_in_the_same_process(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    home, port = tmp_path / "lyon", free_port()
    url = f"http://127.0.0.1:{port}"
    run(
        *("--home", str(home), "init", "--slug", "lyon", "--name", "Bureau de Lyon"),
        *("--url", url, "--db", new_db_url("lyon")),
    )
    with processes() as started:
        server = Process(["--home", str(home), "serve", "--port", str(port)], tmp_path / "log")
        started.append(server)
        wait_for(lambda: answers(f"{url}/ready") or not server.alive(), timeout=60)
        assert server.alive(), server.output()
        # Same process id: whoever started `archipel serve` still holds the serving process.
        cmdline = Path(f"/proc/{server.popen.pid}/cmdline").read_bytes().split(b"\0")
        assert b"node.server" in cmdline
        # Neither uvloop nor uvicorn's reload watcher is loaded (their libraries are mapped).
        maps = Path(f"/proc/{server.popen.pid}/maps").read_text()
        assert "uvloop" not in maps
        assert "watchfiles" not in maps
        assert httpx.get(f"{url}/federation/node", timeout=10).json()["slug"] == "lyon"
        assert httpx.get(f"{url}/api/openapi.json", timeout=10).status_code == 200


def test_serve_reports_a_database_it_cannot_migrate(tmp_path: Path) -> None:
    home = tmp_path / "lyon"
    run(
        *("--home", str(home), "init", "--slug", "lyon", "--name", "Bureau de Lyon"),
        *("--url", "http://127.0.0.1:9"),
    )
    unreachable = f"sqlite:///{tmp_path / 'missing' / 'folder' / 'archipel.db'}"
    result = attempt(
        "--home", str(home), "serve", env={"ARCHIPEL_DATABASE__URL": unreachable}, timeout=60
    )
    assert result.returncode == 2
    assert "error: the database could not be migrated" in result.stderr


def test_the_serving_process_leaves_out_what_only_the_command_line_uses() -> None:
    probe = (
        "import sys, node.server\n"
        "node.server.leave_out_unused()\n"
        "import node.app, uvicorn, httpx\n"
        f"print([m for m in {LEFT_OUT!r} if sys.modules.get(m) is not None])\n"
        "print(httpx.main.__module__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded, httpx_main = result.stdout.splitlines()
    assert loaded == "[]"
    assert httpx_main == "httpx"  # httpx's stub, not its command-line client


def test_the_command_that_starts_the_server_keeps_host_port_and_workers() -> None:
    from node.server import command

    argv = command(Path("var/node"), host="0.0.0.0", port=8001, workers=3)
    assert argv[:4] == [sys.executable, "-P", "-m", "node.server"]
    assert argv[4:] == [
        *("--home", "var/node", "--workers", "3", "--host", "0.0.0.0", "--port", "8001"),
    ]
    assert command(Path("h"), host=None, port=None, workers=1)[4:] == [
        *("--home", "h", "--workers", "1"),
    ]


def test_sqlite_connections_keep_a_bounded_page_cache_and_full_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
