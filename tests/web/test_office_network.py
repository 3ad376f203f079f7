"""Organisations from the office's pages: duplicates found and merged with both histories kept,
and « déjà en contact » — a bureau opts in on an organisation's page, and a peer bureau sees
on its own page of that organiser whom to ask, never the history."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import NodeHarness
from factories import organisation_data
from node.actors import Role
from node.db import make_sessionmaker
from node.services import accounts
from tests.archipelago import Bureau, line
from tests.office import get, organisation, post, production
from tests.web.pages import PASSWORD, login, make_account, submit


@pytest.fixture
def staff(node: NodeHarness) -> TestClient:
    make_account(node, "claire", Role.staff)
    client = TestClient(node.app)
    login(client, "claire")
    return client


def test_duplicates_are_listed_and_merged_keeping_both_histories(
    node: NodeHarness, staff: TestClient
) -> None:
    kept = organisation(node)["id"]
    twin = organisation(node, name="theatre de la croix rousse", city="LYON", email=None)["id"]
    organisation(node, name="Salle des fêtes", city="Die", email=None)
    pid = production(node)["id"]
    for oid, text in ((kept, "Appel à Hélène"), (twin, "Offre envoyée en mars")):
        post(node, f"/api/organisations/{oid}/interactions", {"kind": "note", "text": text})
    post(node, f"/api/productions/{pid}/prospection", {"organisation_id": twin})

    # Reached by clicking: the organisation's page links to the duplicates page.
    assert 'href="/bureau/doublons"' in staff.get(f"/organisations/{kept}").text
    page = "/bureau/doublons"
    html = staff.get(page).text
    assert "Même nom et même ville" in html and "Salle des fêtes" not in html
    assert f'href="/organisations/{twin}"' in html

    refused = submit(
        staff, page, "/bureau/doublons/fusion", {"kept_id": kept, "merged_id": kept}, 422
    )
    assert "Choisissez deux organisations différentes." in refused.text
    assert staff.get(f"/organisations/{twin}").status_code == 200

    merged = submit(staff, page, "/bureau/doublons/fusion", {"kept_id": kept, "merged_id": twin})
    assert merged.headers["location"] == f"/organisations/{kept}?notice=merged"
    assert "Fiches fusionnées" in staff.get(merged.headers["location"]).text
    assert staff.get(f"/organisations/{twin}").status_code == 404
    history = staff.get(f"/organisations/{kept}/echanges").text
    assert "Appel à Hélène" in history and "Offre envoyée en mars" in history
    assert "Théâtre de la Croix-Rousse" in staff.get(f"/productions/{pid}/prospection").text
    assert 'id="no-duplicates"' in staff.get(page).text


def _page_client(bureau: Bureau, username: str, role: Role) -> TestClient:
    with make_sessionmaker(bureau.engine)() as db, db.begin():
        accounts.create_account(db, username=username, password=PASSWORD, role=role)
    client = TestClient(bureau.client.app)
    login(client, username)
    return client


def test_a_bureau_opts_in_and_a_peer_sees_whom_to_ask_on_its_organisation_page(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "marseille") as (lyon, marseille):
        theirs = lyon.client.post(
            "/api/organisations", json=organisation_data(), headers=lyon.staff
        ).json()["id"]
        secret = "Budget serré, rappeler après les vacances"
        lyon.client.post(
            f"/api/organisations/{theirs}/interactions", json={"text": secret}, headers=lyon.staff
        )
        ours = marseille.client.post(
            "/api/organisations",
            json=organisation_data(name="THEATRE de la Croix-Rousse"),
            headers=marseille.staff,
        ).json()["id"]
        claire = _page_client(lyon, "claire", Role.staff)
        malik = _page_client(marseille, "malik", Role.staff)

        page = f"/organisations/{theirs}"
        html = claire.get(page).text
        assert 'id="deja-en-contact"' in html and "Nous ne partageons rien" in html
        # The person is required; the refusal says so by the field, on the hint's own page.
        refused = submit(claire, page, f"{page}/contact-reseau", {"person": ""}, 422)
        assert re.search(r'id="f-person-err">Ce champ est obligatoire', refused.text)
        submit(claire, page, f"{page}/contact-reseau", {"person": "Julie, chargée de diffusion"})
        html = unescape(claire.get(page).text)
        assert "interlocuteur : Julie, chargée de diffusion" in html

        marseille.pull("lyon")
        html = unescape(malik.get(f"/organisations/{ours}").text)
        assert "Le bureau lyon : demandez à Julie, chargée de diffusion" in html
        assert secret not in html
        assert "Le bureau lyon" in unescape(malik.get(f"/organisations/{ours}/contact-reseau").text)

        # A member of lyon sees the hint section but no toggle.
        ines = _page_client(lyon, "ines", Role.member)
        html = ines.get(page).text
        assert 'id="own-hint"' in html and f'action="{page}/contact-reseau"' not in html
        assert ines.post(f"{page}/contact-reseau/retirer", data={}).status_code == 403

        submit(claire, page, f"{page}/contact-reseau/retirer", {})
        assert "Nous ne partageons rien" in unescape(claire.get(page).text)
        marseille.pull("lyon")
        html = malik.get(f"/organisations/{ours}").text
        assert 'id="network-hints-none"' in html and "Julie" not in html
        assert get_hint_status(lyon, theirs) == 404


def get_hint_status(bureau: Bureau, org_id: str) -> int:
    response = bureau.client.get(f"/api/organisations/{org_id}/contact-hint", headers=bureau.staff)
    return response.status_code


def test_the_hint_needs_no_network_call_and_shows_nothing_alone(
    node: NodeHarness, staff: TestClient
) -> None:
    oid = organisation(node)["id"]
    html = staff.get(f"/organisations/{oid}").text
    assert 'id="network-hints-none"' in html
    assert get(node, "/api/network/contact-hints", name="croix rousse")["items"] == []
