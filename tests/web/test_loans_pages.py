"""The pages of loans and hosting between in-process bureaus: a host offers a technician and
a resource from "Accueil de tournées", the producer accepts from the offer's page, and the
loan page explains what it refuses and where a message that has not arrived waits."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import update

from federation.models import FedOutbox
from tests.archipelago import line
from tests.node.test_hosting import DAY, local_technician, touring_date
from tests.node.test_loans import ask, exchange, lendable, loan
from tests.web.pages import browser, csrf_of


def test_hosting_from_the_pages(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        grenoble.settings.node.host_area = ["38"]
        tour_date = touring_date(lyon)
        tech = local_technician(grenoble, "Sami Benali", consents=True)
        projector = lendable(grenoble, "Découpes 1 kW ×12")
        grenoble.pull("lyon")
        lyon.pull("grenoble")
        with browser(grenoble) as host, browser(lyon) as producer:
            coming = host.get("/accueil")
            assert coming.status_code == 200
            date_page = f"/accueil/dates/lyon/{tour_date['id']}"
            assert date_page in coming.text
            form = host.get(date_page)
            assert "Sami Benali" in form.text and "Découpes 1 kW" in form.text
            empty = host.post(date_page, data={"csrf_token": csrf_of(form.text)})
            assert empty.status_code == 422
            assert "au moins un membre" in empty.text
            sent = host.post(
                date_page,
                data={
                    "csrf_token": csrf_of(form.text),
                    "crew": tech["id"],
                    "resources": projector["id"],
                    "contacts": "Hélène Roux ; Directrice technique ; 04 76 00 00 00",
                    "note": "Bienvenue à Grenoble",
                },
                follow_redirects=False,
            )
            assert sent.status_code == 303, sent.text
            offer_url = sent.headers["location"].split("?")[0]
            exchange(grenoble, lyon)
            assert "/accueil" in producer.get("/").text  # the dashboard says an offer waits
            page = producer.get(offer_url)
            assert "Sami Benali" in page.text and "Hélène Roux" in page.text
            bad = producer.post(
                f"{offer_url}/c1",
                data={
                    "csrf_token": csrf_of(page.text),
                    "decision": "accept",
                    "profession": "Régisseur lumière",
                    "category": "technicien",
                    "annexe": "I",
                    "cachets": "1",
                    "gross_pay": "beaucoup",
                },
            )
            assert bad.status_code == 422
            accepted = producer.post(
                f"{offer_url}/c1",
                data={
                    "csrf_token": csrf_of(page.text),
                    "decision": "accept",
                    "profession": "Régisseur lumière",
                    "category": "technicien",
                    "annexe": "I",
                    "cachets": "1",
                    "gross_pay": "180,00",
                },
                follow_redirects=False,
            )
            assert accepted.status_code == 303, accepted.text
            producer.post(
                f"{offer_url}/r1",
                data={"csrf_token": csrf_of(page.text), "decision": "accept"},
            )
            exchange(lyon, grenoble, rounds=4)
            host_view = host.get(offer_url).text
            assert host_view.count("Acceptée") == 2
            team = lyon.client.get(
                f"/api/tour-dates/{tour_date['id']}/engagements", headers=lyon.staff
            ).json()["items"]
            assert [(e["member_name"], e["host_bureau"]) for e in team] == [
                ("Sami Benali", "grenoble")
            ]
            loan_id = re.search(r"/prets/([0-9a-f]{32})", producer.get(offer_url).text)
            assert loan_id and loan(grenoble, loan_id.group(1))["state"] == "accepted"
            network = lyon.client.get("/api/network/resources", headers=lyon.staff).json()
            busy = [r["busy"] for r in network["items"] if r["origin"] == "grenoble"]
            assert busy == [[]]  # lyon has not pulled since: pull and see the busy day
            lyon.pull("grenoble")
            resources_page = producer.get("/ressources-reseau").text
            assert f"{DAY} → {DAY}" in resources_page


def test_the_loan_page_explains_a_refusal(tmp_path: Path, new_db_url: Callable[[str], str]) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        first = ask(lyon, "grenoble", van["id"], "2027-01-10", "2027-01-12").json()["id"]
        other = ask(lyon, "grenoble", van["id"], "2027-02-10", "2027-02-12").json()["id"]
        exchange(lyon, grenoble)
        with browser(grenoble) as owner, browser(lyon) as borrower:
            listing = owner.get("/prets").text
            assert "2 demandes attendent votre réponse" in listing
            assert other in listing
            page = owner.get(f"/prets/{first}")
            token = csrf_of(page.text)
            version = str(loan(grenoble, first)["version"])
            no_dates = owner.post(
                f"/prets/{first}/action",
                data={"csrf_token": token, "action": "counter", "version": version},
            )
            assert no_dates.status_code == 422 and "dates valides" in no_dates.text
            no_reason = owner.post(
                f"/prets/{first}/action",
                data={"csrf_token": token, "action": "decline", "version": version},
            )
            assert no_reason.status_code == 422 and "raison" in no_reason.text
            ok = owner.post(
                f"/prets/{first}/action",
                data={"csrf_token": token, "action": "accept", "version": version},
                follow_redirects=False,
            )
            assert ok.status_code == 303
            # A request for part of the period, arriving after the acceptance, stays open
            # (the owner may propose other dates); accepting it is refused.
            second = ask(lyon, "grenoble", van["id"], "2027-01-11", "2027-01-13").json()["id"]
            exchange(lyon, grenoble)
            overlap = owner.post(
                f"/prets/{second}/action",
                data={
                    "csrf_token": token,
                    "action": "accept",
                    "version": str(loan(grenoble, second)["version"]),
                },
            )
            assert overlap.status_code == 409 and "déjà prêtée" in overlap.text
            stale = owner.post(
                f"/prets/{first}/action",
                data={"csrf_token": token, "action": "pick_up", "version": version},
            )
            assert stale.status_code == 409
            mine = borrower.get(f"/prets/{second}").text
            assert "Annuler le prêt" in mine and "Accepter</button>" not in mine
            resource_page = owner.get(f"/ressources/{van['id']}").text
            assert "Prêts aux autres bureaux" in resource_page and "lyon" in resource_page


def text_of(page: httpx.Response) -> str:
    """The page's HTML with its non-breaking spaces (« 3 min ») as plain ones."""
    return page.text.replace("\xa0", " ").replace("\u202f", " ")


def test_the_loan_page_says_where_an_undelivered_request_waits(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble") as (lyon, grenoble):
        van = lendable(grenoble)
        lyon.pull("grenoble")
        lyon.transport.down.add("grenoble.test")
        loan_id = ask(lyon, "grenoble", van["id"], "2027-04-01", "2027-04-03").json()["id"]
        with lyon.engine.begin() as conn:  # queued three minutes ago
            conn.execute(
                update(FedOutbox).values(created_at=datetime.now(UTC) - timedelta(seconds=185))
            )
        with browser(lyon) as pages:
            queued = text_of(pages.get(f"/prets/{loan_id}"))
            assert "En attente de livraison à Bureau de Grenoble depuis 3 min." in queued
            assert "dernier essai" not in queued  # not tried yet
            lyon.federation.exchange_messages()
            failed = text_of(pages.get(f"/prets/{loan_id}"))
            assert "Le dernier essai a échoué" in failed
            assert "dès que ce bureau donnera signe de vie (au plus tard dans" in failed
            english = text_of(pages.get(f"/prets/{loan_id}", headers={"Accept-Language": "en"}))
            assert "Waiting for delivery to Bureau de Grenoble for 3 min." in english
            lyon.transport.down.clear()
            grenoble.federation.notify_peer("lyon")  # grenoble is back
            lyon.federation.exchange_messages()
            delivered = pages.get(f"/prets/{loan_id}").text
            assert "En attente de livraison" not in delivered
            assert "en attente de la réponse du bureau propriétaire" in delivered
