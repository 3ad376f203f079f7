"""A date's stages (option → … → soldée, or annulée) and its compliance page."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import Db
from node.services import audit, compliance, stages
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import posted_version, submit
from node.web.forms import Field
from node.web.i18n import N_
from node.web.lists import notice
from node.web.office_common import STAGES, date_frame, today_of
from node.web.templating import render, speaker
from schemas.compliance import DutyState, Owner
from schemas.tourdates import DateStage, StageChange

router = APIRouter()
LEVELS = (("1", N_("1 (la plus ferme)")), ("2", "2"), ("3", "3"))
OPTION = (
    Field("option_level", N_("Niveau d'option"), "select", choices=LEVELS),
    Field("option_expires_on", N_("Échéance de l'option"), "date"),
)
CANCEL = (Field("reason", N_("Motif de l'annulation"), "textarea", required=True),)
MOVES = {
    "option": N_("Mettre en option"),
    "confirmee": N_("Confirmer la date"),
    "contrat-signe": N_("Marquer « contrat signé »"),
    "jouee": N_("Marquer « jouée »"),
    "soldee": N_("Marquer « soldée »"),
    "annulee": N_("Annuler la date"),
}
DUTIES = {
    "option": N_("Option à confirmer ou lever"),
    "contrat": N_("Contrat de vente signé"),
    "licences": N_("Numéros de licence des deux parties sur le contrat"),
    "numero-objet": N_("Numéro d'objet du spectacle"),
    "cddu": N_("CDDU signé"),
    "dpae": N_("DPAE"),
    "aem": N_("AEM"),
    "conges-spectacles": N_("Certificat d'emploi Congés Spectacles"),
    "decompte": N_("Décompte ou facture de solde"),
    "sibil": N_("Déclaration SIBIL"),
    "sacem-sacd": N_("Déclarations SACEM / SACD"),
}
DUTY_STATES = {
    "done": N_("Fait"),
    "pending": N_("À faire"),
    "upcoming": N_("Pas encore ouvert"),
    "overdue": N_("En retard"),
    "problem": N_("Problème"),
    "not-applicable": N_("Pour mémoire (pas au bureau)"),
}
OWNERS = {"bureau": N_("Le bureau"), "organisateur": N_("L'organisateur")}
# Where each duty is fulfilled, from the compliance page.
DUTY_TABS = {
    "option": "etapes",
    "contrat": "contrat",
    "licences": "contrat",
    "numero-objet": "equipe",
    "cddu": "equipe",
    "dpae": "equipe",
    "aem": "equipe",
    "conges-spectacles": "equipe",
    "decompte": "decompte",
}


def _stages_page(
    request: Request,
    db: Db,
    date_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    failed: str = "",
    status_code: int = 200,
) -> Response:
    frame = date_frame(db, request, date_id, "etapes")
    tour_date = frame["tour_date"]
    current = DateStage(tour_date.stage)
    allowed = [s.value for s in DateStage if s in stages.TRANSITIONS[current]]
    events, _total = audit.list_events(db, entity="tour_date", entity_id=date_id, limit=50)
    history = [e for e in events if e.action == "transition"]
    return render(
        request,
        "office/stages.html",
        {
            **frame,
            "allowed": allowed,
            "moves": MOVES,
            "stages": STAGES,
            "history": history,
            "option_fields": OPTION,
            "cancel_fields": CANCEL,
            "values": values or {"option_level": str(tour_date.option_level or 1)},
            "errors": errors or {},
            "failed": failed,
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/dates/{date_id}/etapes")
def stages_page(date_id: str, request: Request, db: Db, viewer: CurrentViewer) -> Response:
    return _stages_page(request, db, date_id)


@router.post("/dates/{date_id}/etapes")
def change_stage(
    date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    to = str(form.get("to", ""))
    fields = OPTION if to == "option" else CANCEL if to == "annulee" else ()

    def prepare(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v not in (None, "")}

    done = submit(
        request,
        form,
        fields,
        StageChange,
        lambda data: stages.change_stage(
            db, actor=viewer.actor, tour_date_id=date_id, data=data, expected_version=None
        ),
        extra={"to": to, "version": posted_version(form)},
        prepare=prepare,
    )
    if done.record is None:
        return _stages_page(
            request,
            db,
            date_id,
            values=done.values,
            errors=done.errors,
            failed=to,
            status_code=409 if "" in done.errors and len(done.errors) == 1 else 422,
        )
    return RedirectResponse(f"/dates/{date_id}/etapes?notice=saved", 303)


@router.get("/dates/{date_id}/conformite")
def compliance_page(date_id: str, request: Request, db: Db, viewer: CurrentViewer) -> Response:
    frame = date_frame(db, request, date_id, "conformite")
    today = today_of(request)
    page = compliance.date_compliance(db, tour_date_id=date_id, today=today)
    _ = speaker(request).gettext
    counts: dict[str, int] = {}
    for duty in page.duties:
        if duty.owner == Owner.bureau:
            counts[duty.state.value] = counts.get(duty.state.value, 0) + 1
    return render(
        request,
        "office/compliance.html",
        {
            **frame,
            "page": page,
            "today": today,
            "duty_labels": DUTIES,
            "duty_states": DUTY_STATES,
            "owners": OWNERS,
            "duty_tabs": DUTY_TABS,
            "manual": compliance.MANUAL,
            "counts": counts,
            "pending": counts.get("pending", 0)
            + counts.get("overdue", 0)
            + counts.get("problem", 0),
            "done_state": DutyState.done.value,
            "notice": notice(request),
        },
    )


@router.post("/dates/{date_id}/conformite/{duty}")
def mark_duty(
    date_id: str, duty: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    """Mark SIBIL or SACEM/SACD done (or not done) when the bureau holds the ticketing."""
    check_csrf(form, viewer.csrf_token)
    raw = str(form.get("done_on", "")).strip()
    try:
        done_on = date.fromisoformat(raw) if raw else None
    except ValueError:
        done_on = today_of(request)
    compliance.mark_done(db, actor=viewer.actor, tour_date_id=date_id, duty=duty, done_on=done_on)
    return RedirectResponse(f"/dates/{date_id}/conformite?notice=saved", 303)
