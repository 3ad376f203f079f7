"""The deployment files are valid: compose files against the Compose schema, the Dockerfile
through hadolint, the systemd units and the environment file in step with the settings."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from compose_spec import PyOptions

from node.settings import setting_paths

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize("name", ["compose.yml", "compose.archipelago.yml"])
def test_compose_files_validate_against_the_compose_schema(name: str) -> None:
    compose = PyOptions(apply_merge=True).from_yaml((DEPLOY / name).read_text(encoding="utf-8"))
    compose.validate()
    assert compose.service_names()


def test_the_validator_refuses_a_broken_compose_file() -> None:
    with pytest.raises(ValueError):
        PyOptions(apply_merge=True).from_yaml("services:\n  web:\n    ports: 12\n").validate()


def test_production_compose_has_every_role() -> None:
    compose = PyOptions(apply_merge=True).from_yaml((DEPLOY / "compose.yml").read_text())
    assert set(compose.service_names()) == {"db", "migrate", "web", "worker", "caddy"}


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "USER 10001:10001" in text
    assert "HEALTHCHECK" in text and "/health" in text


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name)
    return parser


@pytest.mark.parametrize("name", ["archipel.service", "archipel@.service"])
def test_systemd_units_are_hardened(name: str) -> None:
    service = unit(name)["Service"]
    for option in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "ProtectHome"):
        assert option in service, option
    assert service["User"] == "archipel"


def test_role_files_start_web_and_worker() -> None:
    assert "ARCHIPEL_ARGS=serve --workers 2" in (DEPLOY / "systemd" / "web.env").read_text()
    assert "ARCHIPEL_ARGS=worker" in (DEPLOY / "systemd" / "worker.env").read_text()
    assert unit("archipel@.service")["Service"]["ExecStart"].endswith("$ARCHIPEL_ARGS")
    assert "migrate" in unit("archipel-migrate.service")["Service"]["ExecStart"]


@pytest.mark.parametrize("name", setting_paths())
def test_example_environment_file_lists_every_setting(name: str) -> None:
    section, key = name.split(".")
    text = (DEPLOY / "archipel.env.example").read_text(encoding="utf-8")
    assert f"ARCHIPEL_{section.upper()}__{key.upper()}=" in text


@pytest.mark.parametrize("name", ["Caddyfile", "nginx.conf"])
def test_reverse_proxies_keep_the_host_the_signatures_cover(name: str) -> None:
    text = (DEPLOY / "reverse-proxy" / name).read_text()
    assert "Host" in text and "X-Forwarded-Proto" in text
