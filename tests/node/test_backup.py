"""`archipel backup` / `restore`: one archive per node; a restored node converges again."""

from __future__ import annotations

import itertools
import stat
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from factories import member_data
from node.cli import app
from node.services import backup as service
from node.settings import load_settings
from tests.archipelago import line

runner = CliRunner()


def cli(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.stdout + result.stderr


def names(home: Path) -> list[str]:
    code, out = cli(home, "member", "export")
    assert code == 0, out
    return sorted(line.split(",")[1] for line in out.strip().splitlines()[1:])


def test_backup_then_restore_brings_back_the_data_and_keys(tmp_path: Path, db_url: str) -> None:
    home = tmp_path / "lyon"
    assert (
        cli(home, "init", "--slug", "lyon", "--name", "Lyon", "--url", "http://x", "--db", db_url)[
            0
        ]
        == 0
    )
    source = tmp_path / "before.csv"
    source.write_text("nom,visibilité\nAva,réseau\nBruno,local\n", encoding="utf-8")
    assert cli(home, "member", "import", str(source))[0] == 0
    archive = tmp_path / "lyon.tar.gz"
    code, out = cli(home, "backup", str(archive))
    assert code == 0, out
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert cli(home, "backup", str(archive))[0] == 2  # never overwrites
    later = tmp_path / "after.csv"
    later.write_text("nom\nChloé\n", encoding="utf-8")
    assert cli(home, "member", "import", str(later))[0] == 0
    key = (home / "keys" / "lyon-1.pem").read_bytes()
    (home / "keys" / "lyon-1.pem").unlink()
    code, out = cli(home, "restore", str(archive), "--yes")
    assert code == 0, out
    assert names(home) == ["Ava", "Bruno"]
    assert (home / "keys" / "lyon-1.pem").read_bytes() == key
    assert stat.S_IMODE((home / "keys" / "lyon-1.pem").stat().st_mode) == 0o600


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, db_url: str) -> None:
    home = tmp_path / "lyon"
    assert (
        cli(home, "init", "--slug", "lyon", "--name", "Lyon", "--url", "http://x", "--db", db_url)[
            0
        ]
        == 0
    )
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tar")
    code, out = cli(home, "restore", str(bogus), "--yes")
    assert code == 2
    assert "not an Archipel backup" in out


def test_a_restored_node_resumes_from_its_cursors_without_duplicates(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (a, b):
        counter = itertools.count()

        def add(n: int) -> None:
            for _ in range(n):
                a.client.post(
                    "/api/members",
                    headers=a.staff,
                    json=member_data(display_name=f"Membre {next(counter)}"),
                )

        add(5)
        b.pull("lyon")
        archive = service.backup(load_settings(b.settings.home), tmp_path / "b.tar.gz")
        add(5)
        b.pull("lyon")
        assert len(b.directory(limit=100)) == 10
        b.engine.dispose()
        service.restore(load_settings(b.settings.home), archive)
        assert len(b.directory(limit=100)) == 5
        add(3)
        b.pull("lyon")
        b.pull("lyon")  # a second pass changes nothing
        items = b.directory(limit=100)
        assert sorted(i["display_name"] for i in items) == sorted(f"Membre {n}" for n in range(13))
