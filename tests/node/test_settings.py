"""Settings: sources and priorities, validation, and a documented entry for every setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from node.settings import load_settings, render_settings_file, setting_paths

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@pytest.mark.parametrize("name", setting_paths())
def test_every_setting_is_documented_with_its_environment_variable(name: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    section, key = name.split(".")
    assert f"`{name}`" in text
    assert f"`ARCHIPEL_{section.upper()}__{key.upper()}`" in text


def test_environment_overrides_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = load_settings(tmp_path, node={"slug": "lyon", "name": "Lyon", "url": "http://a"})
    (tmp_path / "settings.toml").write_text(render_settings_file(written), encoding="utf-8")
    monkeypatch.setenv("ARCHIPEL_NODE__NAME", "Bureau de Lyon")
    monkeypatch.setenv("ARCHIPEL_SERVER__PORT", "8123")
    settings = load_settings(tmp_path)
    assert settings.node.slug == "lyon"
    assert settings.node.name == "Bureau de Lyon"
    assert settings.server.port == 8123


def test_sqlite_in_the_home_is_the_default_database(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.database_url == f"sqlite:///{(tmp_path / 'archipel.db').resolve()}"


def test_invalid_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="slug"):
        load_settings(tmp_path, node={"slug": "Pas Bon"})
    with pytest.raises(ValidationError, match="http"):
        load_settings(tmp_path, node={"url": "ftp://x"})


def test_secure_cookies_follow_the_url_scheme(tmp_path: Path) -> None:
    assert load_settings(tmp_path, node={"url": "https://lyon.example"}).cookies_secure
    assert not load_settings(tmp_path, node={"url": "http://127.0.0.1:8000"}).cookies_secure
