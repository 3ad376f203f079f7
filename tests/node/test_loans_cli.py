"""`archipel loan …` and `archipel hosting coming` on in-process bureaus: the command line
queues what the running node delivers, and shows both sides of a loan."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from node.cli import app
from tests.archipelago import Bureau, line
from tests.node.test_hosting import touring_date
from tests.node.test_loans import exchange, lendable


def run(bureau: Bureau, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--home", str(bureau.settings.home), *args])
    assert result.exit_code == code, result.output
    return result.output


def test_a_loan_from_the_command_line_on_both_sides(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        out = run(
            lyon,
            "loan",
            "request",
            "--owner",
            "grenoble",
            "--resource",
            van["id"],
            "--from",
            "2027-06-01",
            "--to",
            "2027-06-03",
            "--purpose",
            "Festival",
            "--contact",
            "Régie 06",
        )
        loan_id = out.split()[1]
        exchange(lyon, grenoble)
        assert loan_id in run(grenoble, "loan", "list", "--side", "owner")
        run(grenoble, "loan", "act", loan_id, "decline", code=2)  # a reason is required
        assert "accepted" in run(grenoble, "loan", "act", loan_id, "accept")
        exchange(grenoble, lyon)
        shown = json.loads(run(lyon, "loan", "show", loan_id))
        assert shown["state"] == "accepted" and shown["delivered"] is True
        assert shown["allowed"] == ["cancel"]
        assert "pending" in run(lyon, "loan", "act", loan_id, "cancel", "--reason", "Annulé")
        run(
            lyon,
            "loan",
            "request",
            "--owner",
            "grenoble",
            "--resource",
            van["id"],
            "--from",
            "2027-06-03",
            "--to",
            "2027-06-01",
            "--purpose",
            "x",
            "--contact",
            "y",
            code=2,
        )
        run(lyon, "loan", "show", "nope", code=2)


def test_hosting_coming_lists_the_dates_in_the_area(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        run(grenoble, "hosting", "coming", code=2)  # no area yet
        settings = grenoble.settings.home / "settings.toml"
        settings.write_text(
            settings.read_text(encoding="utf-8").replace(
                "[node]\n", '[node]\nhost_area = ["38"]\n'
            ),
            encoding="utf-8",
        )
        tour_date = touring_date(lyon)
        grenoble.pull("lyon")
        assert tour_date["id"] in run(grenoble, "hosting", "coming")
