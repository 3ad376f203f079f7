"""A date's team (engagements with the pay check and DPAE window), provider states, payroll CSV."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import Db
from node.services import engagements, members, payroll, productions, tourdates
from node.web.deps import Posted, StaffViewer, check_csrf
from node.web.editing import posted_version, submit
from node.web.forms import Field
from node.web.i18n import N_
from node.web.lists import notice
from node.web.office_common import date_frame, today_of
from node.web.templating import render, speaker
from schemas.engagements import EngagementCreate, EngagementStates, ObjectNumber

router = APIRouter()
CATEGORIES = (("artiste", N_("Artiste")), ("technicien", N_("Technicien")))
CONVENTIONS = (
    ("idcc-3090", N_("IDCC 3090 — spectacle vivant privé")),
    ("idcc-1285", N_("IDCC 1285 — entreprises artistiques et culturelles")),
)
ANNEXES = (
    ("", N_("Aucune (IDCC 1285)")),
    ("I", N_("I — théâtre, lyrique, danse, musique classique")),
    ("II", N_("II — variétés, jazz, musiques actuelles")),
    ("III", N_("III — cabaret")),
    ("IV", N_("IV — tournées")),
    ("V", N_("V — cirque")),
    ("VI", N_("VI — bals")),
)
BASES = (("cachet", N_("Au cachet")), ("heures", N_("À l'heure")))
ENGAGEMENT = (
    Field("member_id", N_("Membre"), "select", required=True),
    Field("role", N_("Rôle"), help=N_("Ce qu'il ou elle fait sur cette date.")),
    Field(
        "profession",
        N_("Emploi"),
        required=True,
        help=N_("Tel que la liste officielle des emplois le nomme (et la grille du bureau)."),
    ),
    Field("category", N_("Catégorie"), "select", choices=CATEGORIES),
    Field("convention", N_("Convention collective"), "select", choices=CONVENTIONS),
    Field("annexe", N_("Annexe"), "select", choices=ANNEXES),
    Field("pay_basis", N_("Rémunération"), "select", choices=BASES),
    Field("cachets", N_("Nombre de cachets"), "number"),
    Field("hours", N_("Nombre d'heures"), "number"),
    Field(
        "gross_pay",
        N_("Salaire brut total (€)"),
        required=True,
        help=N_("Vérifié contre la grille des minima du bureau."),
    ),
    Field(
        "rehearsal_days",
        N_("Jours de répétition"),
        "lines",
        help=N_("Une date par ligne (AAAA-MM-JJ) ; le premier jour travaillé ouvre la DPAE."),
    ),
    Field("notes", N_("Notes"), "textarea"),
)
STATES = (
    Field("cddu_signed_on", N_("CDDU signé le"), "date"),
    Field("dpae_sent_on", N_("DPAE envoyée le"), "date"),
    Field("aem_issued_on", N_("AEM émise le"), "date"),
    Field("conges_certificate_on", N_("Certificat Congés Spectacles émis le"), "date"),
)
OBJECT = (
    Field(
        "object_number",
        N_("Numéro d'objet"),
        help=N_("Donné par France Travail Spectacle ; il figure sur chaque engagement."),
    ),
)
PAY_STATUS = {
    "ok": N_("Au-dessus du minimum"),
    "below-minimum": N_("Sous le minimum"),
    "no-grid": N_("Pas de grille correspondante"),
}


def _member_choices(db: Db) -> list[tuple[str, str]]:
    rows, _n = members.list_members(db, limit=500)
    return [("", "—"), *((m.id, m.display_name) for m in rows)]


def _team_page(
    request: Request,
    db: Db,
    date_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    frame = date_frame(db, request, date_id, "equipe")
    team = engagements.present(db, engagements.list_engagements(db, tour_date_id=date_id))
    fields = tuple(
        replace(f, choices=_member_choices(db)) if f.name == "member_id" else f for f in ENGAGEMENT
    )
    return render(
        request,
        "office/team.html",
        {
            **frame,
            "team": team,
            "fields": fields,
            "state_fields": STATES,
            "object_fields": OBJECT,
            "pay_status": PAY_STATUS,
            "categories": dict(CATEGORIES),
            "values": values
            or {
                "convention": "idcc-3090",
                "annexe": "I",
                "pay_basis": "cachet",
                "cachets": "1",
                "category": "artiste",
            },
            "errors": errors or {},
            "today": today_of(request),
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/dates/{date_id}/equipe")
def team_page(date_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    """The team of a date: salaries are for the bureau's staff only."""
    return _team_page(request, db, date_id)


@router.post("/dates/{date_id}/equipe")
def engage(date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        ENGAGEMENT,
        EngagementCreate,
        lambda data: engagements.create_engagement(
            db, actor=viewer.actor, tour_date_id=date_id, data=data
        ),
        money_fields=("gross_pay",),
        prepare=lambda v: {**v, "hours": str(v.get("hours") or 0).replace(",", ".")},
    )
    if done.record is None:
        done.values["rehearsal_days"] = "\n".join(done.values.get("rehearsal_days") or [])
        return _team_page(
            request, db, date_id, values=done.values, errors=done.errors, status_code=422
        )
    return RedirectResponse(f"/dates/{date_id}/equipe?notice=created", 303)


@router.post("/engagements/{engagement_id}/etats")
def record_states(
    engagement_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """Record what the payroll provider reports: CDDU signed, DPAE sent, AEM, certificate."""
    check_csrf(form, viewer.csrf_token)
    row = engagements.get_engagement(db, engagement_id=engagement_id)
    done = submit(
        request,
        form,
        STATES,
        EngagementStates,
        lambda data: engagements.update_states(
            db,
            actor=viewer.actor,
            engagement_id=engagement_id,
            states=data,
            expected_version=posted_version(form),
        ),
    )
    if done.record is None:
        _ = speaker(request).gettext
        return _team_page(
            request,
            db,
            row.tour_date_id,
            errors={"": _("Saisissez des dates valides (jj/mm/aaaa).")},
            status_code=422,
        )
    return RedirectResponse(f"/dates/{row.tour_date_id}/equipe?notice=saved", 303)


@router.post("/dates/{date_id}/numero-objet")
def set_object_number(
    date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    tour_date = tourdates.get_tour_date(db, tour_date_id=date_id)
    done = submit(
        request,
        form,
        OBJECT,
        ObjectNumber,
        lambda data: engagements.set_object_number(
            db,
            actor=viewer.actor,
            production_id=tour_date.production_id,
            object_number=data.object_number,
            expected_version=posted_version(form),
        ),
    )
    if done.record is None:
        return _team_page(request, db, date_id, errors=done.errors, status_code=422)
    return RedirectResponse(f"/dates/{date_id}/equipe?notice=saved", 303)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@router.get("/bureau")
def office_home(request: Request, db: Db, viewer: StaffViewer) -> Response:
    """The production office: productions' prospection, upcoming dates, payroll export."""
    today = today_of(request)
    shows, _n = productions.list_productions(db, limit=500)
    upcoming, _m = tourdates.list_tour_dates(db, date_from=today - timedelta(days=31), limit=100)
    titles = {p.id: p.title for p in shows}
    return render(
        request,
        "office/home.html",
        {
            "title": speaker(request).gettext("Bureau de production"),
            "shows": shows,
            "dates": upcoming,
            "titles": titles,
            "notice": notice(request),
        },
    )


@router.get("/bureau/paie.csv")
def payroll_csv(request: Request, db: Db, viewer: StaffViewer) -> Response:
    """One row per contract (`;`, UTF-8 with BOM) for the payroll provider."""
    q = request.query_params
    rows = engagements.list_engagements(
        db,
        production_id=q.get("production") or None,
        date_from=_day(q.get("from", "")),
        date_to=_day(q.get("to", "")),
    )
    return Response(
        payroll.export_csv(db, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="engagements.csv"'},
    )
