"""`/api/organisations` and `/api/contacts`: the bureau's address book."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from node.api.deps import CurrentActor, Db, IfMatch, Limit, Offset, StaffActor, etag
from node.services import organisations as service
from schemas.common import Page
from schemas.organisations import (
    ContactCreate,
    ContactPublic,
    ContactUpdate,
    OrganisationCreate,
    OrganisationKind,
    OrganisationPublic,
    OrganisationUpdate,
)

router = APIRouter(prefix="/api", tags=["organisations"])


@router.post(
    "/organisations", status_code=status.HTTP_201_CREATED, response_model=OrganisationPublic
)
def create_organisation(
    data: OrganisationCreate, db: Db, actor: StaffActor, response: Response
) -> OrganisationPublic:
    org = service.create_organisation(db, actor=actor, data=data)
    response.headers["Location"] = f"/api/organisations/{org.id}"
    response.headers["ETag"] = etag(org.version)
    return OrganisationPublic.model_validate(org)


@router.get("/organisations", response_model=Page[OrganisationPublic])
def list_organisations(
    db: Db,
    _actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    q: str | None = None,
    kind: OrganisationKind | None = None,
    city: str | None = None,
    is_venue: bool | None = None,
) -> Page[OrganisationPublic]:
    """Organisations by name; `q` searches name, city and tags, ignoring accents and case."""
    rows, total = service.list_organisations(
        db,
        q=q,
        kind=kind.value if kind else None,
        city=city,
        is_venue=is_venue,
        limit=limit,
        offset=offset,
    )
    items = [OrganisationPublic.model_validate(o) for o in rows]
    return Page[OrganisationPublic].of(items, total=total, limit=limit, offset=offset)


@router.get("/organisations/{organisation_id}", response_model=OrganisationPublic)
def get_organisation(
    organisation_id: str, db: Db, _actor: CurrentActor, response: Response
) -> OrganisationPublic:
    org = service.get_organisation(db, organisation_id=organisation_id)
    response.headers["ETag"] = etag(org.version)
    return OrganisationPublic.model_validate(org)


@router.patch("/organisations/{organisation_id}", response_model=OrganisationPublic)
def update_organisation(
    organisation_id: str,
    data: OrganisationUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> OrganisationPublic:
    org = service.update_organisation(
        db, actor=actor, organisation_id=organisation_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(org.version)
    return OrganisationPublic.model_validate(org)


@router.delete("/organisations/{organisation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_organisation(
    organisation_id: str, db: Db, actor: StaffActor, if_match: IfMatch
) -> Response:
    service.delete_organisation(
        db, actor=actor, organisation_id=organisation_id, expected_version=if_match
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/organisations/{organisation_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactPublic,
)
def create_contact(
    organisation_id: str, data: ContactCreate, db: Db, actor: StaffActor, response: Response
) -> ContactPublic:
    contact = service.create_contact(db, actor=actor, organisation_id=organisation_id, data=data)
    response.headers["Location"] = f"/api/contacts/{contact.id}"
    response.headers["ETag"] = etag(contact.version)
    return ContactPublic.model_validate(contact)


@router.get("/organisations/{organisation_id}/contacts", response_model=Page[ContactPublic])
def list_contacts(
    organisation_id: str, db: Db, _actor: CurrentActor, limit: Limit = 50, offset: Offset = 0
) -> Page[ContactPublic]:
    rows, total = service.list_contacts(
        db, organisation_id=organisation_id, limit=limit, offset=offset
    )
    items = [ContactPublic.model_validate(c) for c in rows]
    return Page[ContactPublic].of(items, total=total, limit=limit, offset=offset)


@router.get("/contacts/{contact_id}", response_model=ContactPublic)
def get_contact(contact_id: str, db: Db, _actor: CurrentActor, response: Response) -> ContactPublic:
    contact = service.get_contact(db, contact_id=contact_id)
    response.headers["ETag"] = etag(contact.version)
    return ContactPublic.model_validate(contact)


@router.patch("/contacts/{contact_id}", response_model=ContactPublic)
def update_contact(
    contact_id: str,
    data: ContactUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> ContactPublic:
    contact = service.update_contact(
        db, actor=actor, contact_id=contact_id, data=data, expected_version=if_match
    )
    response.headers["ETag"] = etag(contact.version)
    return ContactPublic.model_validate(contact)


@router.delete("/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact(contact_id: str, db: Db, actor: StaffActor, if_match: IfMatch) -> Response:
    service.delete_contact(db, actor=actor, contact_id=contact_id, expected_version=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
