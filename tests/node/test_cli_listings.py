"""Every listing command with its output piped (not a terminal): whole rows, never cut to 80
columns, and `--json` gives one object per line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from factories import member_data
from node.cli import app
from tests import processes
from tests.archipelago import Bureau, line
from tests.node.test_hosting import post, touring_date
from tests.node.test_loans import ask, exchange, lendable

LONG_RESOURCE = (
    "Console numérique Yamaha CL5 avec stagebox Rio3224 et câblage Dante pour la tournée"
)
LONG_LABEL = "Export nocturne vers le tableur de la coopérative, régie de Grenoble et de Chambéry"


def piped(bureau: Bureau, *args: str) -> str:
    """The command's standard output, captured as a pipe would be (CliRunner is no terminal)."""
    result = CliRunner().invoke(app, ["--home", str(bureau.settings.home), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def json_lines(bureau: Bureau, *args: str) -> list[dict[str, Any]]:
    out = piped(bureau, *args, "--json")
    return [json.loads(text) for text in out.splitlines()]


def row_with(out: str, *values: str) -> str:
    """The one line of a printed table that holds every value whole."""
    rows = [text for text in out.splitlines() if all(v in text for v in values)]
    assert len(rows) == 1, out
    return rows[0]


def test_loan_hosting_peer_and_directory_listings_print_whole_rows_and_json_lines(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        console = lendable(grenoble, name=LONG_RESOURCE)
        lyon.pull("grenoble")
        asked = ask(lyon, "grenoble", console["id"], "2027-06-01", "2027-06-03")
        assert asked.status_code == 201, asked.text
        loan_id = asked.json()["id"]
        exchange(lyon, grenoble)
        settings = grenoble.settings.home / "settings.toml"
        settings.write_text(
            settings.read_text(encoding="utf-8").replace(
                "[node]\n", '[node]\nhost_area = ["38"]\n'
            ),
            encoding="utf-8",
        )
        tour_date = touring_date(lyon)
        skills = ["console numérique", "façade", "retours", "Yamaha CL5", "DiGiCo SD12"]
        member = post(lyon, "/api/members", member_data(display_name="Léa Martin", skills=skills))
        grenoble.pull("lyon")

        loans_out = piped(grenoble, "loan", "list")
        assert "…" not in loans_out
        row_with(loans_out, LONG_RESOURCE, "lent to lyon", "2027-06-01 → 2027-06-03", loan_id)
        # The same through a real pipe, from another process, as a script would run it.
        through_pipe = processes.run("--home", str(grenoble.settings.home), "loan", "list")
        row_with(through_pipe, LONG_RESOURCE, "lent to lyon", "2027-06-01 → 2027-06-03", loan_id)
        [listed] = json_lines(grenoble, "loan", "list")
        assert listed["id"] == loan_id and listed["resource_name"] == LONG_RESOURCE
        assert (listed["role"], listed["borrower"], listed["state"]) == (
            "owner",
            "lyon",
            "requested",
        )
        assert (listed["starts_on"], listed["ends_on"]) == ("2027-06-01", "2027-06-03")

        coming_out = piped(grenoble, "hosting", "coming")
        assert "…" not in coming_out
        row_with(coming_out, "2027-05-20", "Le Grand Voyage", "Théâtre municipal", tour_date["id"])
        [coming] = json_lines(grenoble, "hosting", "coming")
        assert (coming["id"], coming["origin"]) == (tour_date["id"], "lyon")
        assert (coming["day"], coming["postal_code"], coming["offers"]) == (
            "2027-05-20",
            "38000",
            0,
        )
        assert coming["starts_at"].startswith("2027-05-20T")

        peers_out = piped(grenoble, "peer", "list")
        assert "…" not in peers_out
        row_with(peers_out, "lyon", "http://lyon.test", "active")
        [peer] = json_lines(grenoble, "peer", "list")
        assert (peer["slug"], peer["url"], peer["state"], peer["lag"]) == (
            "lyon",
            "http://lyon.test",
            "active",
            0,
        )
        assert peer["fingerprint"].startswith("SHA256:") and peer["last_success_at"]

        found_out = piped(grenoble, "directory", "search", "Léa")
        assert "…" not in found_out
        row_with(found_out, "Léa Martin", ", ".join(skills), "Bureau de Lyon")
        [card] = json_lines(grenoble, "directory", "search", "Léa")
        assert (card["origin"], card["bureau"], card["id"]) == (
            "lyon",
            "Bureau de Lyon",
            member["id"],
        )
        assert card["skills"] == skills


def test_token_and_key_listings_print_whole_lines_and_json_lines(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon") as (lyon,):
        created = piped(lyon, "token", "create", "--role", "admin", "--label", LONG_LABEL)
        token_id = created.split()[1]
        row_with(piped(lyon, "token", "list"), token_id, "admin", "never used", LONG_LABEL)
        tokens = {t["id"]: t for t in json_lines(lyon, "token", "list")}
        assert tokens[token_id]["label"] == LONG_LABEL
        assert (tokens[token_id]["role"], tokens[token_id]["state"]) == ("admin", "active")
        assert tokens[token_id]["last_used_at"] is None
        assert tokens[token_id]["created_at"].endswith("+00:00")

        keys = json_lines(lyon, "keys", "list")
        assert [k["signing"] for k in keys] == [False] * (len(keys) - 1) + [True]
        assert all(k["fingerprint"].startswith("SHA256:") for k in keys)
        row_with(piped(lyon, "keys", "list"), keys[-1]["key_id"], keys[-1]["fingerprint"])


def test_listings_with_nothing_to_list_print_no_json_line(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon") as (lyon,):
        assert piped(lyon, "loan", "list", "--json") == ""
        assert piped(lyon, "peer", "list", "--json") == ""
        assert piped(lyon, "directory", "search", "personne", "--json") == ""
