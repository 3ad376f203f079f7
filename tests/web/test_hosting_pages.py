"""The « Accueil de tournées » pages: the admin sets the hosting area, a date outside it gets
no offer, a refused member is named with the cause, and an offered technician is engaged with
every term the API takes (by the hour, another convention, rehearsal days)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from node.actors import Role
from node.db import make_sessionmaker
from node.services import accounts
from tests.archipelago import Bureau, line
from tests.node.test_host_area import admin
from tests.node.test_hosting import GRID, local_technician, offer_body, post, touring_date
from tests.node.test_loans import exchange
from tests.web.pages import PASSWORD, browser, csrf_of, login


def shown(response: httpx.Response) -> str:
    """The page's text as a reader sees it (entities unescaped)."""
    return html.unescape(response.text)


@contextmanager
def admin_browser(bureau: Bureau) -> Iterator[TestClient]:
    """The bureau's admin logged in on its pages."""
    with make_sessionmaker(bureau.engine)() as db, db.begin():
        accounts.create_account(db, username="direction", password=PASSWORD, role=Role.admin)
    with TestClient(bureau.client.app) as client:
        login(client, "direction")
        yield client


def test_the_admin_sets_the_hosting_area_from_the_pages(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["73"]
        tour_date = touring_date(lyon)
        grenoble.pull("lyon")
        date_page = f"/accueil/dates/lyon/{tour_date['id']}"
        with browser(grenoble) as staff, admin_browser(grenoble) as boss:
            before = shown(staff.get("/accueil"))
            assert "Reprise du fichier de réglages" in before and date_page not in before
            assert "Modifier la zone d'accueil" not in before
            assert staff.get("/accueil/zone").status_code == 403
            assert "Modifier la zone d'accueil" in shown(boss.get("/accueil"))
            form = boss.get("/accueil/zone")
            token = csrf_of(form.text)
            wrong = boss.post(
                "/accueil/zone",
                data={"csrf_token": token, "entries": "38, 38-Isère", "version": "0"},
            )
            assert wrong.status_code == 422
            assert "« 38-Isère » n'est ni un département" in shown(wrong)
            saved = boss.post(
                "/accueil/zone",
                data={"csrf_token": token, "entries": "73\nGrenoble", "version": "0"},
                follow_redirects=False,
            )
            assert saved.status_code == 303, saved.text
            after = shown(boss.get(saved.headers["location"]))
            assert "Zone d'accueil enregistrée" in after
            assert date_page in after and "Fixée par direction" in after
            assert date_page in shown(staff.get("/accueil"))  # at once, for everyone
            stale = boss.post(
                "/accueil/zone", data={"csrf_token": token, "entries": "73", "version": "0"}
            )
            assert stale.status_code == 409 and "73\nGrenoble" in shown(stale)
            by_api = grenoble.client.put(
                "/api/hosting/area", json={"entries": ["38"], "version": 1}, headers=admin(grenoble)
            )
            assert by_api.status_code == 200, by_api.text
            assert "Fixée par l'API du bureau" in shown(staff.get("/accueil"))  # never a token id
        trail = grenoble.client.get(
            "/api/audit", params={"entity": "host_area"}, headers=grenoble.staff
        ).json()["items"]
        assert [e["actor"] for e in trail][-1] == "direction"


def test_a_date_outside_the_area_gets_no_offer_form(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["38"]
        tour_date = touring_date(lyon)
        grenoble.pull("lyon")
        date_page = f"/accueil/dates/lyon/{tour_date['id']}"
        with browser(grenoble) as host:
            form = host.get(date_page)
            assert "Envoyer l'offre" in shown(form)
            grenoble.settings.node.host_area = ["73"]  # the area changed while the form was open
            sent = host.post(date_page, data={"csrf_token": csrf_of(form.text), "note": "Hop"})
            assert sent.status_code == 400
            assert "n'est pas dans la zone d'accueil du bureau" in shown(sent)
            refused = host.get(date_page)
            assert refused.status_code == 400 and "Envoyer l'offre" not in shown(refused)
            assert "Théâtre municipal, Grenoble, 38000" in shown(refused)
        assert (
            grenoble.client.get("/api/hosting/offers", headers=grenoble.staff).json()["total"] == 0
        )


def test_a_refused_member_is_named_with_the_cause(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["38"]
        tour_date = touring_date(lyon)
        grenoble.pull("lyon")
        shy = local_technician(grenoble, "Discrète Personne", consents=False)
        date_page = f"/accueil/dates/lyon/{tour_date['id']}"
        with browser(grenoble) as host:
            form = host.get(date_page)
            sent = host.post(date_page, data={"csrf_token": csrf_of(form.text), "crew": shy["id"]})
            assert sent.status_code == 400
            assert "Discrète Personne n'accepte pas (ou plus) les propositions du réseau" in shown(
                sent
            )
            assert shy["id"] not in sent.text  # the page names people, never ids


def test_an_hourly_technician_is_engaged_from_the_offer_page(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["38"]
        tour_date = touring_date(lyon)
        tech = local_technician(grenoble, "Sami Benali", consents=True)
        grenoble.pull("lyon")
        loaded = lyon.client.put(
            "/api/pay-grids",
            content=GRID.encode(),
            headers={**lyon.staff, "Content-Type": "text/csv"},
        )
        assert loaded.status_code == 200, loaded.text
        offer = post(
            grenoble, "/api/hosting/offers", offer_body(tour_date, crew=[{"member_id": tech["id"]}])
        )
        exchange(grenoble, lyon)
        offer_url = f"/accueil/offres/{offer['id']}"
        with browser(lyon) as producer:
            assert f'href="{offer_url}/c1"' in shown(producer.get(offer_url))
            form = producer.get(f"{offer_url}/c1")
            assert form.status_code == 200
            for label in (
                "À l'heure",
                "Nombre d'heures",
                "Convention collective",
                "Jours de répétition",
            ):
                assert label in shown(form)
            terms = {
                "csrf_token": csrf_of(form.text),
                "decision": "accept",
                "profession": "Régisseur lumière",
                "category": "technicien",
                "convention": "idcc-3090",
                "annexe": "I",
                "pay_basis": "heures",
                "hours": "8",
                "gross_pay": "80,00",
                "rehearsal_days": "2027-05-19",
            }
            under = producer.post(f"{offer_url}/c1", data=terms)
            assert under.status_code == 400
            assert "par heure, sous le minimum de 15" in shown(under)
            engaged = producer.post(
                f"{offer_url}/c1",
                data={**terms, "convention": "idcc-1285", "annexe": "", "gross_pay": "160"},
                follow_redirects=False,
            )
            assert engaged.status_code == 303, engaged.text
            assert "Membre engagé" in shown(producer.get(engaged.headers["location"]))
        team = lyon.client.get(
            f"/api/tour-dates/{tour_date['id']}/engagements", headers=lyon.staff
        ).json()["items"]
        assert [
            (e["convention"], e["annexe"], e["pay_basis"], e["hours"], e["rehearsal_days"])
            for e in team
        ] == [("idcc-1285", "", "heures", 8, ["2027-05-19"])]
