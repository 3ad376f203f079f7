"""« Déjà en contact » between real running nodes: lyon opts in on an organiser, grenoble (its
peer) and annecy (through grenoble) learn whom to ask there — never the history — and forget
it when lyon withdraws."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.nodes import Line, Node, unique_word, wait_until

pytestmark = pytest.mark.e2e

# Push hint to grenoble, then annecy's next pull of grenoble (every second in this tier).
LINE_TIMEOUT = 20.0


def hints(node: Node, name: str) -> list[dict[str, Any]]:
    response = node.api.get("/api/network/contact-hints", params={"name": name})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def test_a_contact_hint_crosses_the_line_and_is_withdrawn(line: Line) -> None:
    word, secret_word = unique_word(), unique_word()
    secret = f"Rappeler après le festival {secret_word}"
    made = line.a.api.post(
        "/api/organisations",
        json={"name": f"Théâtre {word.title()}", "kind": "theatre", "city": "Villeurbanne"},
    )
    assert made.status_code == 201, made.text
    org = made.json()
    noted = line.a.api.post(f"/api/organisations/{org['id']}/interactions", json={"text": secret})
    assert noted.status_code == 201, noted.text
    shared = line.a.api.put(
        f"/api/organisations/{org['id']}/contact-hint", json={"person": "Julie, diffusion"}
    )
    assert shared.status_code == 200, shared.text

    expected = {
        "origin": "lyon",
        "own": False,
        "organisation_name": f"Théâtre {word.title()}",
        "city": "Villeurbanne",
        "person": "Julie, diffusion",
    }
    for node in (line.b, line.c):
        found = wait_until(
            lambda n=node: hints(n, f"theatre {word.upper()}"),
            timeout=LINE_TIMEOUT,
            what=f"lyon's hint on {node.slug}",
        )
        assert found == [expected]
    # The history stayed home: not a byte of it in grenoble's or annecy's database files.
    assert line.a.traces(secret_word) == [secret_word]
    assert line.b.traces(secret_word) == [] and line.c.traces(secret_word) == []

    gone = line.a.api.delete(f"/api/organisations/{org['id']}/contact-hint")
    assert gone.status_code == 204, gone.text
    for node in (line.b, line.c):
        wait_until(
            lambda n=node: hints(n, word) == [],
            timeout=LINE_TIMEOUT,
            what=f"the withdrawal on {node.slug}",
        )
