"""`/api/tour-dates/{id}/day-sheet…` and the account-free share link `/feuille-de-route/{token}`."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import HTMLResponse

from node.api.deps import CurrentActor, Db, IfMatch, Limit, Offset, StaffActor, etag, paged
from node.services import daysheets as service
from schemas.common import Page
from schemas.daysheets import Audience, DaySheetPublic, DaySheetUpdate, LinkCreate, LinkPublic

router = APIRouter(prefix="/api", tags=["day sheets"])
public_router = APIRouter(tags=["day sheets"])
NO_STORE = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
}


def _pdf(content: bytes) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="feuille-de-route.pdf"', **NO_STORE},
    )


@router.get("/tour-dates/{tour_date_id}/day-sheet", response_model=DaySheetPublic)
def get_sheet(tour_date_id: str, db: Db, _actor: StaffActor) -> DaySheetPublic:
    """The sheet as staff edit it, internal notes included."""
    return service.get_sheet(db, tour_date_id=tour_date_id)


@router.put("/tour-dates/{tour_date_id}/day-sheet", response_model=DaySheetPublic)
def put_sheet(
    tour_date_id: str,
    data: DaySheetUpdate,
    db: Db,
    actor: StaffActor,
    if_match: IfMatch,
    response: Response,
) -> DaySheetPublic:
    """Replace the sheet; `If-Match` or `version` names the version edited (0 for none yet)."""
    sheet = service.save_sheet(
        db,
        actor=actor,
        tour_date_id=tour_date_id,
        data=data,
        expected_version=if_match if if_match is not None else data.version,
    )
    response.headers["ETag"] = etag(sheet.version)
    return sheet


@router.get("/tour-dates/{tour_date_id}/day-sheet.html", response_class=HTMLResponse)
def sheet_html(
    tour_date_id: str, db: Db, actor: CurrentActor, version: Audience | None = None
) -> HTMLResponse:
    """Staff pick `version`; an engaged member gets theirs (technicians: technical)."""
    audience = service.audience_of(db, actor, tour_date_id, version)
    return HTMLResponse(service.render_html(db, tour_date_id=tour_date_id, audience=audience))


@router.get("/tour-dates/{tour_date_id}/day-sheet.pdf", response_class=Response)
def sheet_pdf(
    tour_date_id: str, db: Db, actor: CurrentActor, version: Audience | None = None
) -> Response:
    audience = service.audience_of(db, actor, tour_date_id, version)
    return _pdf(service.render_pdf(db, tour_date_id=tour_date_id, audience=audience))


def _link(link: object, url: str | None = None) -> LinkPublic:
    return LinkPublic.model_validate(link, from_attributes=True).model_copy(update={"url": url})


@router.post(
    "/tour-dates/{tour_date_id}/day-sheet/links",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkPublic,
)
def create_link(tour_date_id: str, data: LinkCreate, db: Db, actor: StaffActor) -> LinkPublic:
    """A link anyone holding it can open, without an account, until it is revoked."""
    link, token = service.create_link(
        db, actor=actor, tour_date_id=tour_date_id, audience=data.audience
    )
    return _link(link, f"{service.LINK_PATH}{token}")


@router.get("/tour-dates/{tour_date_id}/day-sheet/links", response_model=Page[LinkPublic])
def list_links(
    tour_date_id: str, db: Db, _actor: StaffActor, limit: Limit = 50, offset: Offset = 0
) -> Page[LinkPublic]:
    return paged(
        Page[LinkPublic],
        service.list_links(db, tour_date_id=tour_date_id),
        lambda window: [_link(link) for link in window],
        limit=limit,
        offset=offset,
    )


@router.delete("/day-sheet-links/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_link(link_id: str, db: Db, actor: StaffActor) -> Response:
    service.revoke_link(db, actor=actor, link_id=link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@public_router.get("/feuille-de-route/{token}.pdf", response_class=Response)
def shared_pdf(token: str, db: Db) -> Response:
    link = service.by_token(db, token)
    audience = Audience(link.audience)
    return _pdf(service.render_pdf(db, tour_date_id=link.tour_date_id, audience=audience))


@public_router.get("/feuille-de-route/{token}", response_class=HTMLResponse)
def shared_html(token: str, db: Db) -> HTMLResponse:
    """The shared day sheet: no account needed; 404 once revoked."""
    link = service.by_token(db, token)
    html = service.render_html(db, tour_date_id=link.tour_date_id, audience=Audience(link.audience))
    return HTMLResponse(html, headers=NO_STORE)
