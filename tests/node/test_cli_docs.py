"""docs/cli.md names every command of `archipel`, and each option beside its command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from node.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def commands(command: Any, path: tuple[str, ...] = ("archipel",)) -> Iterator[tuple[str, Any]]:
    """Every command of the Click tree Typer builds, by its full name, the root included."""
    yield " ".join(path), command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        if not sub.hidden:
            yield from commands(sub, (*path, name))


def options(command: Any) -> list[str]:
    """The long names of a command's visible options (`--yes`, `--no-yes` ...)."""
    return [
        name
        for param in command.params
        if param.param_type_name == "option" and not param.hidden
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("--") and name != "--help"
    ]


def blocks(text: str) -> list[str]:
    """The doc's paragraphs, headings, lists and code blocks (split at blank lines)."""
    return [block for block in re.split(r"\n\s*\n", text) if block.strip()]


def named(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def undocumented(doc: str, tree: Any) -> list[str]:
    """Each command the doc never names, and each option no block naming its command names."""
    missing: list[str] = []
    for name, command in commands(tree):
        near = [block for block in blocks(doc) if named(name, block)]
        if not near:
            missing.append(name)
            continue
        missing.extend(
            f"{name} {option}"
            for option in options(command)
            if not any(named(option, block) for block in near)
        )
    return missing


ROOT = typer.main.get_command(app)


@pytest.mark.parametrize("name", [name for name, _ in commands(ROOT)])
def test_every_command_and_its_options_are_in_the_cli_doc(name: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert [m for m in undocumented(doc, ROOT) if m == name or m.startswith(f"{name} --")] == []


def test_the_check_sees_an_undocumented_command_and_option() -> None:
    tree = typer.Typer(add_completion=False)

    @tree.command()
    def listing(json: bool = typer.Option(False, "--json")) -> None:
        """List."""

    @tree.command()
    def other() -> None:
        """Other."""

    doc = "## `archipel listing`\n\nLists.\n\nWith `--json`, prints JSON (`archipel other`)."
    assert undocumented(doc, typer.main.get_command(tree)) == ["archipel listing --json"]
