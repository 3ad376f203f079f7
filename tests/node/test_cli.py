"""The `archipel` command line: init, tokens, migrate, CSV import and export."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from node.app import create_app
from node.cli import app
from node.settings import load_settings

runner = CliRunner()


def invoke(home: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def home(tmp_path: Path, db_url: str) -> Path:
    """An initialised node home, on each database engine."""
    home = tmp_path / "lyon"
    code, out, err = invoke(
        home,
        "init",
        "--slug",
        "lyon",
        "--name",
        "Bureau de Lyon",
        "--territory",
        "Auvergne-Rhône-Alpes",
        "--url",
        "http://127.0.0.1:8001",
        "--db",
        db_url,
    )
    assert code == 0, err
    assert "admin-credentials.txt" in out
    return home


def test_init_creates_settings_keys_database_and_private_credentials(home: Path) -> None:
    settings = load_settings(home)
    assert settings.node.slug == "lyon"
    assert settings.node.territory == "Auvergne-Rhône-Alpes"
    credentials = home / "admin-credentials.txt"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "keys" / "lyon-1.pem").stat().st_mode) == 0o600
    with TestClient(create_app(settings)) as client:
        password = credentials.read_text().split("password: ")[1].split("\n")[0]
        login = client.post("/api/auth/login", json={"username": "admin", "password": password})
        assert login.status_code == 200
        assert login.json()["must_change_password"] is True
        assert client.get("/ready").json()["status"] == "ready"


def test_init_refuses_to_overwrite_an_existing_node(home: Path) -> None:
    code, _out, err = invoke(home, "init", "--slug", "x", "--name", "X", "--url", "http://x")
    assert code == 2
    assert "already exists" in err
    assert load_settings(home).node.slug == "lyon"


@pytest.mark.parametrize("slug", ["Lyon", "-lyon", "ly on", "lyon_2", ""])
def test_init_refuses_invalid_slugs(tmp_path: Path, slug: str) -> None:
    code, _out, err = invoke(
        tmp_path / "n", "init", "--slug", slug, "--name", "X", "--url", "http://x"
    )
    assert code == 2
    assert "slug" in err
    assert not (tmp_path / "n" / "settings.toml").exists()


def test_init_refuses_a_url_without_scheme(tmp_path: Path) -> None:
    code, _out, err = invoke(
        tmp_path / "n", "init", "--slug", "lyon", "--name", "X", "--url", "lyon.example.org"
    )
    assert code == 2
    assert "http" in err


def test_commands_without_a_node_say_so_in_one_line(tmp_path: Path) -> None:
    code, _out, err = invoke(tmp_path / "none", "token", "create", "--role", "staff")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "archipel init" in err


def test_token_create_quiet_prints_a_working_token_that_revoke_disables(home: Path) -> None:
    code, out, _err = invoke(home, "token", "create", "--role", "staff", "--quiet")
    assert code == 0
    token = out.strip()
    assert token.startswith("arch_") and "\n" not in token
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(load_settings(home))) as client:
        created = client.post("/api/members", json={"display_name": "Inès"}, headers=headers)
        assert created.status_code == 201
        token_id = invoke(home, "token", "list")[1].split()[0]
        assert invoke(home, "token", "revoke", token_id)[0] == 0
        assert client.get("/api/members", headers=headers).status_code == 401


def test_member_token_requires_a_member(home: Path) -> None:
    code, _out, err = invoke(home, "token", "create", "--role", "member")
    assert code == 2
    assert "--member" in err


def test_migrate_is_idempotent(home: Path) -> None:
    assert invoke(home, "migrate")[0] == 0
    assert invoke(home, "migrate")[0] == 0


CSV_FR = (
    "nom;ville;métiers;compétences;visibilité;e-mail;parts\n"
    "Élodie Fabre;Lyon;Régisseuse son, Régisseuse générale;console, façade;réseau;"
    "elodie@example.org;3\n"
    "Noé Bérard;Villeurbanne;Comédien;clown;local;;0\n"
)


def test_csv_import_with_french_headers_then_export_round_trips(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "membres.csv"
    source.write_text(CSV_FR, encoding="utf-8")
    code, out, err = invoke(home, "member", "import", str(source))
    assert code == 0, err
    assert "2 new" in out
    exported = tmp_path / "export.csv"
    assert invoke(home, "member", "export", "--output", str(exported))[0] == 0
    text = exported.read_text(encoding="utf-8")
    assert text.startswith("\ufeffid,display_name")
    assert "Élodie Fabre" in text
    assert "Régisseuse son; Régisseuse générale" in text
    # Importing the export again updates the same members instead of duplicating them.
    code, out, _err = invoke(home, "member", "import", str(exported))
    assert code == 0
    assert "0 new member(s), updated 2" in out


def test_csv_import_reports_each_bad_line_and_field_and_imports_nothing(
    home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(
        "nom,email,visibilité,parts\n"
        "Ana,ana@example.org,network,1\n"
        ",nobody@example.org,network,1\n"
        "Bob,not-an-email,network,1\n"
        "Chloé,chloe@example.org,partout,-2\n",
        encoding="utf-8",
    )
    code, _out, err = invoke(home, "member", "import", str(source))
    assert code == 2
    assert "line 3, display_name" in err
    assert "line 4, email" in err
    assert "line 5, visibility" in err
    assert "line 5, shares" in err
    assert "nothing was imported" in err
    exported = invoke(home, "member", "export")[1]
    assert "Ana" not in exported


def test_csv_import_refuses_unknown_columns(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "cols.csv"
    source.write_text("nom,pointure\nAna,38\n", encoding="utf-8")
    code, _out, err = invoke(home, "member", "import", str(source))
    assert code == 2
    assert "line 1, header: unknown column 'pointure'" in err


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "serve", "migrate", "token", "member"):
        assert command in result.stdout
