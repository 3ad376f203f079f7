"""The deployment files stay in step with the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.settings import setting_paths

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", setting_paths())
def test_example_environment_file_lists_every_setting(name: str) -> None:
    section, key = name.split(".")
    text = (ROOT / "deploy" / "archipel.env.example").read_text(encoding="utf-8")
    assert f"ARCHIPEL_{section.upper()}__{key.upper()}=" in text


def test_systemd_unit_runs_migrations_then_serves() -> None:
    unit = (ROOT / "deploy" / "systemd" / "archipel.service").read_text(encoding="utf-8")
    assert "ExecStartPre=/opt/archipel/.venv/bin/archipel migrate" in unit
    assert "ExecStart=/opt/archipel/.venv/bin/archipel serve" in unit
    assert "NoNewPrivileges=yes" in unit
