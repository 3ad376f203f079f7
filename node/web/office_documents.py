"""A date's sale contract (draft, HTML, PDF, signature) and its day sheet (edit, share, revoke)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from node.api.deps import Db
from node.services import contracts, daysheets, office, organisations
from node.web.deps import Posted, StaffViewer, check_csrf
from node.web.editing import posted_version, submit
from node.web.forms import Field
from node.web.i18n import N_
from node.web.lists import notice
from node.web.office_common import date_frame, printed_html, printed_pdf, today_of
from node.web.templating import render
from schemas.contracts import ContractCreate, SignRequest
from schemas.daysheets import Audience, DaySheetBody

router = APIRouter()
KINDS = (
    ("cession", N_("Cession (prix fixe)")),
    ("coréalisation", N_("Coréalisation (part de recette)")),
    ("coproduction", N_("Coproduction")),
)
STATUSES = {"draft": N_("Brouillon"), "sent": N_("Envoyé"), "signed": N_("Signé")}
MONEY = ("fee", "minimum_guarantee", "ticket_price", "deposit")
CONTRACT = (
    Field("organiser_id", N_("Organisateur"), "select", required=True),
    Field("kind", N_("Type de contrat"), "select", choices=KINDS),
    Field("fee", N_("Prix de cession ou apport (€)"), optional_none=True),
    Field("percentage", N_("Part de la recette (%)"), optional_none=True),
    Field("minimum_guarantee", N_("Minimum garanti (€)"), optional_none=True),
    Field("ticket_price", N_("Prix des places, plein tarif (€)"), optional_none=True),
    Field("ticket_prices", N_("Tarifs"), optional_none=True),
    Field("deposit", N_("Acompte (€)"), optional_none=True),
    Field("sign_by", N_("Signature au plus tard le"), "date"),
    Field("payment_due", N_("Solde payé au plus tard le"), "date"),
    Field(
        "producer_licence",
        N_("Licence du bureau (producteur)"),
        optional_none=True,
        help=N_("Récépissé PLATESV ; par défaut celui du profil du bureau."),
    ),
    Field(
        "organiser_licence",
        N_("Licence de l'organisateur"),
        optional_none=True,
        help=N_("Récépissé PLATESV ; par défaut celui de sa fiche."),
    ),
    Field("rider", N_("Fiche technique annexée"), "textarea", optional_none=True),
    Field("terms", N_("Autres clauses"), "textarea", optional_none=True),
)
SIGN = (Field("signed_on", N_("Signé le"), "date", required=True),)
SHEET = (
    Field(
        "schedule",
        N_("Horaires"),
        "textarea",
        help=N_(
            "Une ligne par horaire : « 14:00 | Montage », « | technique » pour la version "
            "technique seulement."
        ),
    ),
    Field(
        "places",
        N_("Lieux"),
        "textarea",
        help=N_("Une ligne par lieu : « Libellé | adresse | temps de trajet | technique »."),
    ),
    Field("accommodation", N_("Hébergement"), "textarea"),
    Field("meals", N_("Repas"), "textarea"),
    Field(
        "contacts",
        N_("Contacts sur place"),
        "textarea",
        help=N_("Une ligne par contact : « Nom | rôle | téléphone »."),
    ),
    Field("technical_notes", N_("Notes techniques"), "textarea"),
    Field(
        "internal_notes",
        N_("Notes internes"),
        "textarea",
        help=N_("Pour le bureau seulement : jamais dans le PDF ni dans un lien partagé."),
    ),
)
AUDIENCES = (("equipe", N_("Équipe")), ("technique", N_("Technique")))


def _organiser_choices(db: Db) -> list[tuple[str, str]]:
    rows, _n = organisations.list_organisations(db, limit=500)
    return [("", "—"), *((o.id, f"{o.name} ({o.city})" if o.city else o.name) for o in rows)]


def _contract_page(
    request: Request,
    db: Db,
    date_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    frame = date_frame(db, request, date_id, "contrat")
    row = contracts.contract_of(db, date_id)
    fields = tuple(
        replace(f, choices=_organiser_choices(db)) if f.name == "organiser_id" else f
        for f in CONTRACT
    )
    tour_date = frame["tour_date"]
    defaults = {
        "kind": tour_date.contract_type if tour_date.contract_type in dict(KINDS) else "cession",
        "organiser_id": tour_date.venue_id or "",
        "producer_licence": office.profile(db).licence_number,
    }
    return render(
        request,
        "office/contract.html",
        {
            **frame,
            "contract": contracts.present(db, row) if row else None,
            "kinds": dict(KINDS),
            "statuses": STATUSES,
            "fields": fields,
            "sign_fields": SIGN,
            "values": values or defaults,
            "errors": errors or {},
            "today": today_of(request),
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/dates/{date_id}/contrat")
def contract_page(date_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    return _contract_page(request, db, date_id)


@router.post("/dates/{date_id}/contrat")
def create_contract(
    date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    tour_date = date_frame(db, request, date_id, "contrat")["tour_date"]

    def prepare(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v is not None}

    done = submit(
        request,
        form,
        CONTRACT,
        ContractCreate,
        lambda data: contracts.create_contract(db, actor=viewer.actor, data=data),
        extra={"production_id": tour_date.production_id, "tour_date_ids": [date_id]},
        money_fields=(*MONEY, "percentage"),
        prepare=prepare,
    )
    if done.record is None:
        return _contract_page(
            request, db, date_id, values=done.values, errors=done.errors, status_code=422
        )
    return RedirectResponse(f"/dates/{date_id}/contrat?notice=created", 303)


@router.post("/contrats/{contract_id}/signer")
def sign_contract(
    contract_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    row = contracts.get_contract(db, contract_id=contract_id)
    date_id = contracts.dates_of(db, contract_id)[0].id
    done = submit(
        request,
        form,
        SIGN,
        SignRequest,
        lambda data: contracts.sign_contract(
            db, actor=viewer.actor, contract_id=row.id, data=data, expected_version=None
        ),
        extra={"version": posted_version(form)},
    )
    if done.record is None:
        return _contract_page(request, db, date_id, errors=done.errors, status_code=422)
    return RedirectResponse(f"/dates/{date_id}/contrat?notice=saved", 303)


@router.get("/contrats/{contract_id}/contrat.html")
def contract_html(contract_id: str, db: Db, viewer: StaffViewer) -> HTMLResponse:
    """The contract from the bureau's template, as it will be printed."""
    return printed_html(contracts.contract_html(db, contract_id=contract_id))


@router.get("/contrats/{contract_id}/contrat.pdf")
def contract_pdf(contract_id: str, db: Db, viewer: StaffViewer) -> Response:
    html = contracts.contract_html(db, contract_id=contract_id)
    return printed_pdf(html, title="Contrat", filename=f"contrat-{contract_id}.pdf")


def _lines(text: str, size: int) -> list[list[str]]:
    """`a | b | c` lines as lists of `size` cells (missing cells empty)."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")]
        rows.append((cells + [""] * size)[:size])
    return rows


def _technical(flag: str) -> bool:
    return flag.strip().casefold() in {"technique", "technical", "tech", "t", "x", "oui"}


def _sheet_body(values: dict[str, Any]) -> dict[str, Any]:
    """The typed lines of the form as the day sheet's structure."""
    body = dict(values)
    body["schedule"] = [
        {"time": t, "label": label, "technical": _technical(flag)}
        for t, label, flag in _lines(values.get("schedule", ""), 3)
    ]
    body["places"] = [
        {"label": label, "address": a, "travel_time": tt, "technical": _technical(flag)}
        for label, a, tt, flag in _lines(values.get("places", ""), 4)
    ]
    body["contacts"] = [
        {"name": n, "role": r, "phone": p} for n, r, p in _lines(values.get("contacts", ""), 3)
    ]
    return body


def _sheet_text(sheet: DaySheetBody) -> dict[str, Any]:
    """The day sheet as the form's text areas show it."""
    values: dict[str, Any] = sheet.model_dump()
    tech = " | technique"
    values["schedule"] = "\n".join(
        f"{s.time} | {s.label}{tech if s.technical else ''}" for s in sheet.schedule
    )
    values["places"] = "\n".join(
        f"{p.label} | {p.address} | {p.travel_time}{tech if p.technical else ''}"
        for p in sheet.places
    )
    values["contacts"] = "\n".join(f"{c.name} | {c.role} | {c.phone}" for c in sheet.contacts)
    return values


def _sheet_page(
    request: Request,
    db: Db,
    date_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    new_link: str = "",
    status_code: int = 200,
) -> Response:
    frame = date_frame(db, request, date_id, "feuille-de-route")
    sheet = daysheets.get_sheet(db, tour_date_id=date_id)
    return render(
        request,
        "office/daysheet.html",
        {
            **frame,
            "fields": SHEET,
            "values": values if values is not None else _sheet_text(sheet),
            "version": sheet.version,
            "errors": errors or {},
            "links": daysheets.list_links(db, tour_date_id=date_id),
            "audiences": AUDIENCES,
            "new_link": new_link,
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/dates/{date_id}/feuille-de-route")
def sheet_page(date_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    return _sheet_page(request, db, date_id)


@router.post("/dates/{date_id}/feuille-de-route")
def save_sheet(
    date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        SHEET,
        DaySheetBody,
        lambda data: daysheets.save_sheet(
            db,
            actor=viewer.actor,
            tour_date_id=date_id,
            data=data,
            expected_version=posted_version(form),
        ),
        prepare=_sheet_body,
    )
    if done.record is None:
        return _sheet_page(
            request, db, date_id, values=done.values, errors=done.errors, status_code=422
        )
    return RedirectResponse(f"/dates/{date_id}/feuille-de-route?notice=saved", 303)


@router.get("/dates/{date_id}/feuille-de-route/apercu")
def sheet_preview(date_id: str, request: Request, db: Db, viewer: StaffViewer) -> HTMLResponse:
    """The version the team (or technicians) will see."""
    raw = request.query_params.get("version", "equipe")
    audience = Audience.technical if raw == "technique" else Audience.team
    return printed_html(daysheets.render_html(db, tour_date_id=date_id, audience=audience))


@router.post("/dates/{date_id}/feuille-de-route/liens")
def create_link(
    date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """A link for the team, without an account; shown once (the bureau keeps its hash only)."""
    check_csrf(form, viewer.csrf_token)
    audience = Audience.technical if form.get("audience") == "technique" else Audience.team
    _link, token = daysheets.create_link(
        db, actor=viewer.actor, tour_date_id=date_id, audience=audience
    )
    url = str(request.base_url).rstrip("/") + f"{daysheets.LINK_PATH}{token}"
    return _sheet_page(request, db, date_id, new_link=url)


@router.post("/feuilles-de-route/liens/{link_id}/revoquer")
def revoke_link(
    link_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    link = daysheets.revoke_link(db, actor=viewer.actor, link_id=link_id)
    return RedirectResponse(f"/dates/{link.tour_date_id}/feuille-de-route?notice=saved", 303)
