"""Accueil de tournées: the dates of other bureaus coming to our hosting area, the area itself
(its admin sets it), the offers of support we send, and our decisions on the offers we get."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.models import HostingOffer, Member, NetworkTourDate, Resource
from node.problems import DomainError, NotFound, PreconditionRequired, VersionConflict
from node.services import host_area, hosting
from node.services.loans import Exchange
from node.web.deps import AdminViewer, Posted, StaffViewer, check_csrf
from node.web.errors import ERROR_MESSAGES, HOSTING_ERRORS, field_errors, problem_errors
from node.web.forms import Field, Translate, money, parse
from node.web.i18n import N_
from node.web.lists import notice
from node.web.office_team import ENGAGEMENT
from node.web.templating import render, speaker
from schemas.engagements import EngagementTerms
from schemas.hosting import (
    ContactOffer,
    CrewOffer,
    Decision,
    HostAreaUpdate,
    HostingOfferCreate,
    ItemDecision,
    ItemType,
)

router = APIRouter()

# Said after a redirect (`?notice=…`): what happened and what follows.
HOSTING_NOTICES = {
    "area": N_(
        "Zone d'accueil enregistrée : les dates du réseau qui y passent s'affichent ci-dessous."
    ),
    "offer": N_(
        "Offre envoyée au bureau producteur : sa réponse à chaque proposition s'affichera ici."
    ),
    "engaged": N_(
        "Membre engagé : il figure dans l'équipe de la date ; le bureau d'accueil voit votre "
        "réponse."
    ),
    "accepted": N_("Proposition acceptée : le bureau d'accueil voit votre réponse."),
    "declined": N_("Proposition refusée : le bureau d'accueil voit votre réponse et sa raison."),
}
DECIDE_FAILED = N_("Cette proposition n'a pas pu être acceptée ; rien n'a été enregistré.")
OFFER_FAILED = N_("L'offre n'a pas pu être envoyée ; rien n'est parti.")
ITEM_TYPES = {"crew": N_("Équipe"), "resource": N_("Ressource"), "contact": N_("Contact local")}
ITEM_STATUS = {"proposed": N_("En attente"), "accepted": N_("Acceptée"), "declined": N_("Refusée")}
AREA = (
    Field(
        "entries",
        N_("Zone d'accueil"),
        "textarea",
        help=N_(
            "Un élément par ligne (ou séparés par des virgules) : un département ou un début de "
            "code postal (38, 730), ou une ville (Grenoble)."
        ),
    ),
)
# The engagement's terms, as the date's team page asks them (the member is the offered one).
TERMS = tuple(f for f in ENGAGEMENT if f.name != "member_id")


def _exchange(request: Request) -> Exchange:
    exchange: Exchange = request.app.state.exchange
    return exchange


def _notice(request: Request) -> str:
    key = request.query_params.get("notice", "")
    if key in HOSTING_NOTICES:
        return speaker(request).gettext(HOSTING_NOTICES[key])
    return notice(request)


def _area(db: Db, settings: AppSettings) -> list[str]:
    return host_area.entries(db, setting=settings.node.host_area)


def _place(target: NetworkTourDate) -> str:
    postal_code = str(target.body.get("postal_code") or "")
    return ", ".join(p for p in (target.venue_name, target.city, postal_code) if p)


# -- the area and the dates coming to it -----------------------------------------------------


@router.get("/accueil")
def coming_page(request: Request, db: Db, viewer: StaffViewer, settings: AppSettings) -> Response:
    _ = speaker(request).gettext
    area = host_area.current(db, setting=settings.node.host_area)
    coming = hosting.coming_dates(db, own=settings.node.slug, area=area.entries)
    received, _total = hosting.list_offers(db, role=hosting.PRODUCER, limit=100)
    sent, _total = hosting.list_offers(db, role=hosting.HOST, limit=100)
    return render(
        request,
        "hosting.html",
        {
            "title": _("Accueil de tournées"),
            "coming": coming,
            "area": area,
            "received": received,
            "sent": sent,
            "status_labels": ITEM_STATUS,
            "notice": _notice(request),
        },
    )


def _area_page(
    request: Request,
    db: Db,
    settings: AppSettings,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    area = host_area.current(db, setting=settings.node.host_area)
    return render(
        request,
        "hosting_area.html",
        {
            "title": _("Zone d'accueil"),
            "area": area,
            "fields": AREA,
            "values": values or {"entries": "\n".join(area.entries), "version": area.version},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/accueil/zone")
def area_page(request: Request, db: Db, viewer: AdminViewer, settings: AppSettings) -> Response:
    """The hosting area, editable by the bureau's admin."""
    return _area_page(request, db, settings)


def _entries(raw: str) -> list[str]:
    return [p.strip() for p in raw.replace(",", "\n").replace(";", "\n").splitlines() if p.strip()]


@router.post("/accueil/zone")
def save_area(
    request: Request, form: Posted, db: Db, viewer: AdminViewer, settings: AppSettings
) -> Response:
    check_csrf(form, viewer.csrf_token)
    _ = speaker(request).gettext
    raw = str(form.get("entries", ""))
    version = str(form.get("version", ""))
    values = {"entries": raw, "version": version}
    entries = _entries(raw)
    try:
        data = HostAreaUpdate(entries=entries, version=int(version) if version.isdigit() else None)
        host_area.update(
            db,
            actor=viewer.actor,
            data=data,
            expected_version=None,
            setting=settings.node.host_area,
        )
    except ValidationError as exc:
        message = _(HOSTING_ERRORS["host_area_entry"]) % {"entry": ""}
        for error in exc.errors():
            loc = error.get("loc", ())
            if error.get("type") == "host_area_entry" and len(loc) == 2:
                message = _(HOSTING_ERRORS["host_area_entry"]) % {"entry": entries[int(loc[1])]}
                break
            if error.get("type") == "too_long":
                message = _("Une zone d'accueil compte au plus 50 éléments.")
        return _area_page(
            request, db, settings, values=values, errors={"entries": message}, status_code=422
        )
    except (VersionConflict, PreconditionRequired):
        return _area_page(
            request,
            db,
            settings,
            errors={"": _(ERROR_MESSAGES["version_conflict"])},
            status_code=409,
        )
    return RedirectResponse("/accueil?notice=area", status_code=303)


# -- offers we send ----------------------------------------------------------------------------


def _offer_form(
    request: Request,
    db: Db,
    target: NetworkTourDate,
    *,
    values: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    day = hosting.local_day(target.starts_at, target.timezone)
    offers, _total = hosting.list_offers(db, role=hosting.HOST, tour_date_id=target.record_id)
    return render(
        request,
        "hosting_date.html",
        {
            "title": _("Proposer un soutien"),
            "target": target,
            "day": day,
            "crew": hosting.crew_candidates(db, day),
            "resources": hosting.resource_candidates(db, day),
            "offers": offers,
            "values": values or {},
            "errors": errors or [],
            "types": ITEM_TYPES,
            "status_labels": ITEM_STATUS,
        },
        status_code=status_code,
    )


def _outside(request: Request, target: NetworkTourDate) -> Response:
    """The page of a date outside the area: said in French, no form."""
    _ = speaker(request).gettext
    return render(
        request,
        "error.html",
        {
            "title": _("Proposer un soutien"),
            "status": 400,
            "detail": _(HOSTING_ERRORS["date_outside_host_area"]) % {"place": _place(target)},
        },
        status_code=400,
    )


@router.get("/accueil/dates/{origin}/{record_id}")
def offer_page(
    origin: str,
    record_id: str,
    request: Request,
    db: Db,
    viewer: StaffViewer,
    settings: AppSettings,
) -> Response:
    target = hosting.network_date(db, origin=origin, record_id=record_id)
    try:
        hosting.require_in_area(_area(db, settings), target)
    except DomainError:
        return _outside(request, target)
    return _offer_form(request, db, target)


def _contacts(form: FormData) -> list[ContactOffer]:
    """One contact per line: `Nom ; rôle ; téléphone ; e-mail`."""
    contacts = []
    for line in str(form.get("contacts", "")).splitlines():
        parts = [p.strip() for p in line.split(";")]
        if not parts or not parts[0]:
            continue
        parts += [""] * (4 - len(parts))
        contacts.append(ContactOffer(name=parts[0], role=parts[1], phone=parts[2], email=parts[3]))
    return contacts


def offer_refusals(
    exc: DomainError, translate: Translate, db: Db, data: HostingOfferCreate, day: str
) -> list[str]:
    """A refused offer in French: one sentence per refused item, naming it and its cause."""
    sentences = []
    for error in exc.errors:
        template = HOSTING_ERRORS.get(error.code)
        if template is None:
            continue
        parts = error.field.split(".")  # body.crew.0.member_id, body.resources.1
        name = ""
        if parts[1:2] == ["crew"] and len(parts) > 2 and parts[2].isdigit():
            member = db.get(Member, data.crew[int(parts[2])].member_id)
            name = member.display_name if member is not None else ""
        elif parts[1:2] == ["resources"] and len(parts) > 2 and parts[2].isdigit():
            resource = db.get(Resource, data.resources[int(parts[2])])
            name = resource.name if resource is not None else ""
        sentences.append(
            translate(template) % {"name": name, "day": day, "bureau": data.producer, "place": ""}
        )
    if not sentences and exc.code in HOSTING_ERRORS:
        sentences.append(translate(HOSTING_ERRORS[exc.code]) % {"bureau": data.producer})
    return sentences or [translate(OFFER_FAILED)]


@router.post("/accueil/dates/{origin}/{record_id}")
def send_offer(
    origin: str,
    record_id: str,
    request: Request,
    form: Posted,
    db: Db,
    viewer: StaffViewer,
    settings: AppSettings,
) -> Response:
    check_csrf(form, viewer.csrf_token)
    fmt = speaker(request)
    _ = fmt.gettext
    target = hosting.network_date(db, origin=origin, record_id=record_id)
    values: dict[str, Any] = {
        "note": str(form.get("note", "")),
        "contacts": str(form.get("contacts", "")),
        "crew": [str(v) for v in form.getlist("crew")],
        "resources": [str(v) for v in form.getlist("resources")],
    }
    try:
        data = HostingOfferCreate(
            producer=origin,
            tour_date_id=record_id,
            note=str(values["note"]).strip(),
            crew=[CrewOffer(member_id=m) for m in values["crew"]],
            resources=values["resources"],
            contacts=_contacts(form),
        )
    except ValidationError as exc:
        codes = {e.get("type") for e in exc.errors()}
        detail = _("Proposez au moins un membre, une ressource, un contact ou un mot.")
        if "offer_empty" not in codes:
            detail = _("Vérifiez les contacts : une ligne par contact, « Nom ; rôle ; téléphone ».")
        return _offer_form(request, db, target, values=values, errors=[detail], status_code=422)
    try:
        with db.begin_nested():
            offer = hosting.create_offer(
                db, _exchange(request), actor=viewer.actor, data=data, area=_area(db, settings)
            )
    except DomainError as exc:
        if exc.code == "date_outside_host_area":
            return _outside(request, target)
        day = fmt.date(hosting.local_day(target.starts_at, target.timezone))
        found = offer_refusals(exc, _, db, data, day)
        return _offer_form(request, db, target, values=values, errors=found, status_code=exc.status)
    return RedirectResponse(f"/accueil/offres/{offer.id}?notice=offer", status_code=303)


# -- offers we receive: decisions ------------------------------------------------------------


@router.get("/accueil/offres/{offer_id}")
def offer_detail(offer_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    offer = hosting.get_offer(db, offer_id=offer_id)
    return _offer_detail(request, offer)


def _offer_detail(
    request: Request,
    offer: HostingOffer,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    return render(
        request,
        "hosting_offer.html",
        {
            "title": _("Offre d'accueil"),
            "offer": offer,
            "types": ITEM_TYPES,
            "status_labels": ITEM_STATUS,
            "errors": errors or {},
            "notice": _notice(request),
        },
        status_code=status_code,
    )


def _crew_item(offer: HostingOffer, item_id: str) -> dict[str, Any]:
    item = next((i for i in offer.items if i.get("id") == item_id), None)
    if item is None or item.get("type") != ItemType.crew.value or offer.role != hosting.PRODUCER:
        raise NotFound(N_("cette proposition n'existe pas"))
    return item


def _engage_page(
    request: Request,
    offer: HostingOffer,
    item: dict[str, Any],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    trades = (item.get("details") or {}).get("trades") or []
    return render(
        request,
        "hosting_engage.html",
        {
            "title": _("Engager %(name)s") % {"name": item.get("label", "")},
            "offer": offer,
            "item": item,
            "fields": TERMS,
            "values": values
            or {
                "profession": trades[0] if trades else "",
                "category": "technicien",
                "convention": "idcc-3090",
                "annexe": "I",
                "pay_basis": "cachet",
                "cachets": "1",
            },
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/accueil/offres/{offer_id}/{item_id}")
def engage_page(
    offer_id: str, item_id: str, request: Request, db: Db, viewer: StaffViewer
) -> Response:
    """Accepting an offered member engages them: the engagement's terms, as the API takes them."""
    offer = hosting.get_offer(db, offer_id=offer_id)
    return _engage_page(request, offer, _crew_item(offer, item_id))


def _decision_errors(
    exc: DomainError, translate: Translate, values: dict[str, Any]
) -> dict[str, str]:
    """A refused decision in French: the hosting codes, or the engagement's field errors."""
    if exc.code in HOSTING_ERRORS:
        return {"": translate(HOSTING_ERRORS[exc.code])}
    if isinstance(exc, VersionConflict):
        return {"": translate(ERROR_MESSAGES["version_conflict"])}
    fields = [e for e in exc.errors if e.field.startswith("body.engagement.")]
    if fields:
        # The form's fields are the engagement's: `body.engagement.gross_pay` is `gross_pay`.
        terms = DomainError(
            "the engagement's terms were refused",
            code=exc.code,
            errors=[
                e.model_copy(update={"field": e.field.replace("body.engagement.", "body.", 1)})
                for e in fields
            ],
            **exc.extra,
        )
        return problem_errors(terms, translate, values)
    return {"": translate(DECIDE_FAILED)}


@router.post("/accueil/offres/{offer_id}/{item_id}")
def decide_item(
    offer_id: str, item_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    _ = speaker(request).gettext
    offer = hosting.get_offer(db, offer_id=offer_id)
    decision = str(form.get("decision", ""))
    reason = str(form.get("reason", "")).strip()
    crew = any(i.get("id") == item_id and i.get("type") == "crew" for i in offer.items)
    engaging = decision == Decision.accept.value and crew
    values = parse(TERMS, form) if engaging else {}
    try:
        terms = None
        if engaging:
            for name in ("category", "convention", "pay_basis"):
                if not values.get(name):
                    values.pop(name, None)  # not chosen: the engagement's default
            values["gross_pay"] = money(str(values.get("gross_pay") or "")) or None
            values["hours"] = str(values.get("hours") or 0).replace(",", ".")
            terms = EngagementTerms.model_validate(values)
        data = ItemDecision.model_validate(
            {"decision": decision, "reason": reason, "engagement": terms}
        )
    except ValidationError as exc:
        if engaging:
            return _engage_page(
                request,
                offer,
                _crew_item(offer, item_id),
                values=values,
                errors=field_errors(exc, _),
                status_code=422,
            )
        return _offer_detail(
            request,
            offer,
            errors={item_id: _("Vérifiez le formulaire (raison : 2000 caractères au plus).")},
            status_code=422,
        )
    try:
        with db.begin_nested():
            hosting.decide(
                db,
                _exchange(request),
                actor=viewer.actor,
                offer_id=offer_id,
                item_id=item_id,
                data=data,
            )
    except NotFound:
        raise
    except DomainError as exc:
        errors = _decision_errors(exc, _, values)
        fresh = hosting.get_offer(db, offer_id=offer_id)
        if engaging and exc.code not in HOSTING_ERRORS:
            return _engage_page(
                request,
                fresh,
                _crew_item(fresh, item_id),
                values=values,
                errors=errors,
                status_code=exc.status,
            )
        return _offer_detail(
            request, fresh, errors={item_id: next(iter(errors.values()))}, status_code=exc.status
        )
    done = "engaged" if engaging else "accepted" if decision == "accept" else "declined"
    return RedirectResponse(f"/accueil/offres/{offer_id}?notice={done}", status_code=303)
