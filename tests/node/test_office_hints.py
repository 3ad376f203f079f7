"""« Déjà en contact » between two in-process bureaus: the fact and a person, never history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from factories import organisation_data
from tests.archipelago import Bureau, line


def _hints(bureau: Bureau, **params: Any) -> list[dict[str, Any]]:
    response = bureau.client.get("/api/network/contact-hints", params=params, headers=bureau.staff)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_bureau_sees_who_else_is_in_contact_with_a_programmer(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (lyon, marseille):
        org = lyon.client.post(
            "/api/organisations", json=organisation_data(), headers=lyon.staff
        ).json()
        secret = "Budget serré, rappeler après les vacances"
        lyon.client.post(
            f"/api/organisations/{org['id']}/interactions",
            json={"text": secret},
            headers=lyon.staff,
        )
        quiet = lyon.client.post(
            "/api/organisations", json=organisation_data(name="Salle discrète"), headers=lyon.staff
        ).json()
        marseille.pull("lyon")
        assert _hints(marseille, name="croix rousse") == []  # opt-in only
        shared = lyon.client.put(
            f"/api/organisations/{org['id']}/contact-hint",
            json={"person": "Julie, chargée de diffusion"},
            headers=lyon.staff,
        )
        assert shared.status_code == 200, shared.text
        marseille.pull("lyon")
        found = _hints(marseille, name="THEATRE croix-rousse", city="lyon")
        assert found == [
            {
                "origin": "lyon",
                "own": False,
                "organisation_name": "Théâtre de la Croix-Rousse",
                "city": "Lyon",
                "person": "Julie, chargée de diffusion",
            }
        ]
        assert _hints(marseille, name="discrète") == []
        assert quiet["id"]
        with marseille.engine.connect() as conn:
            bodies = [
                str(b) for (b,) in conn.execute(text("SELECT body FROM network_contact_hints"))
            ]
        assert bodies and all(secret not in b and "helene" not in b.lower() for b in bodies)
        assert _hints(lyon, name="croix")[0]["own"] is True
        lyon.client.patch(
            f"/api/organisations/{org['id']}",
            json={"name": "Théâtre de la Croix-Rousse (TCR)", "version": org["version"]},
            headers=lyon.staff,
        )
        marseille.pull("lyon")
        assert _hints(marseille, name="tcr")[0]["person"] == "Julie, chargée de diffusion"
        gone = lyon.client.delete(
            f"/api/organisations/{org['id']}/contact-hint", headers=lyon.staff
        )
        assert gone.status_code == 204
        marseille.pull("lyon")
        assert _hints(marseille, name="croix") == []
