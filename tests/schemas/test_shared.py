"""Shared bodies are bounded: the local API's largest values fit, anything beyond is refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from federation.canonical import canonical_bytes
from schemas import shared
from schemas.hints import ContactHintSet
from schemas.members import MemberCreate
from schemas.organisations import OrganisationCreate
from schemas.productions import ProductionCreate
from schemas.resources import ResourceCreate

WIDE = "😀"  # four bytes in UTF-8: the widest a character gets


def fields_of(model: Any, names: list[str]) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json")
    return {name: dumped[name] for name in names}


def largest_local_bodies() -> dict[str, dict[str, Any]]:
    """Each shared kind's body built from the largest values the local API accepts."""
    start = date(2027, 1, 1)
    member = MemberCreate(
        display_name=WIDE * 200,
        city=WIDE * 120,
        territory=WIDE * 120,
        trades=[WIDE * 80] * 20,
        skills=[WIDE * 80] * 50,
        languages=[WIDE * 80] * 20,
        bio=WIDE * 5_000,
        links=["https://example.org/" + "a" * 2_000] * 10,
        availability=[{"start": start + timedelta(days=n)} for n in range(50)],
    )
    card = fields_of(
        member,
        ["display_name", "city", "territory", "trades", "skills", "languages", "bio", "links"],
    )
    card["availability"] = [
        {"start": p["start"], "end": p["end"]}
        for p in member.model_dump(mode="json")["availability"]
    ]
    production = ProductionCreate(
        title=WIDE * 200, synopsis=WIDE * 10_000, artistic_lead=WIDE * 200, visibility="network"
    )
    venue = OrganisationCreate(
        name=WIDE * 200, city=WIDE * 120, technical_specs=WIDE * 20_000, is_venue=True
    )
    resource = ResourceCreate(
        name=WIDE * 200, description=WIDE * 10_000, location=WIDE * 200, lendable=True
    )
    busy = [{"start": str(start), "end": str(start)}] * shared.MAX_BUSY_PERIODS
    return {
        shared.KIND_CARD: {**card, "visibility": "network"},
        shared.KIND_PRODUCTION: fields_of(
            production, ["title", "discipline", "synopsis", "artistic_lead", "visibility"]
        ),
        shared.KIND_VENUE: fields_of(venue, ["name", "city", "technical_specs"]),
        shared.KIND_RESOURCE: {
            **fields_of(resource, ["name", "kind", "description", "location"]),
            "busy": busy,
        },
        shared.KIND_CONTACT_HINT: {
            "organisation_name": venue.name,
            "city": venue.city,
            "person": ContactHintSet(person=WIDE * 200).person,
        },
        shared.KIND_TOUR_DATE: {
            "production_id": "p" * 32,
            "production_title": production.title,
            "starts_at": "2027-01-01T20:30:00+01:00",
            "timezone": "America/Argentina/ComodRivadavia",
            "city": WIDE * 120,
            "venue_name": venue.name,
            "postal_code": "9" * 20,
            "status": "confirmed",
        },
    }


@pytest.mark.parametrize("kind", shared.SHARED_KINDS)
def test_the_largest_body_the_local_api_allows_is_within_every_bound(kind: str) -> None:
    body = largest_local_bodies()[kind]
    shared.check_limits(kind, body)
    assert len(canonical_bytes(body)) <= shared.MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        (shared.KIND_CARD, "bio", "x" * 5_001),
        (shared.KIND_CARD, "skills", ["s"] * 51),
        (shared.KIND_CARD, "trades", ["t" * 81]),
        (shared.KIND_CARD, "links", ["https://example.org/" + "a" * 2_100]),
        (shared.KIND_PRODUCTION, "synopsis", "x" * 10_001),
        (shared.KIND_VENUE, "technical_specs", "x" * 20_001),
        (shared.KIND_RESOURCE, "busy", [{"start": "2027-01-01", "end": "2027-01-02"}] * 1_001),
        (shared.KIND_CONTACT_HINT, "person", "x" * 201),
        (shared.KIND_TOUR_DATE, "postal_code", "9" * 21),
    ],
)
def test_a_field_over_its_bound_is_named_and_its_value_is_not(
    kind: str, field: str, value: Any
) -> None:
    body = {**largest_local_bodies()[kind], field: value}
    with pytest.raises(shared.OverLimit) as over:
        shared.check_limits(kind, body)
    assert over.value.fields[0].split(".")[0] == field
    assert "xxxx" not in str(over.value)


def test_only_bounds_refuse_a_body_this_version_cannot_otherwise_read() -> None:
    shared.check_limits(shared.KIND_CARD, {"display_name": 42, "schema_version": 2})
    shared.check_limits("theatre.unknown", {"bio": "x" * 100_000})
