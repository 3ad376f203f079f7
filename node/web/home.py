"""The dashboard: news of the archipelago since my last visit, my bureau's next dates, sync."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from federation.service import Federation
from node.api.deps import AppSettings, Db
from node.services import compliance, dashboard, hosting, loans
from node.web.deps import CurrentViewer
from node.web.lists import notice
from node.web.office_common import today_of
from node.web.templating import render, speaker

router = APIRouter()


def sync_health(request: Request, db: Db) -> tuple[bool, str]:
    """Sync health in one line: peers reached, failing ones, bureaus held back, the lag."""
    federation: Federation = request.app.state.federation
    status = federation.status(db)
    _ = speaker(request).gettext
    if not status.peers:
        return True, _("Aucun bureau pair pour l'instant : l'annuaire ne montre que votre bureau.")
    # An error older than the last success is history, not a failing peer.
    failing = [
        p.slug
        for p in status.peers
        if p.last_error_at is not None
        and (p.last_success_at is None or p.last_error_at > p.last_success_at)
    ]
    lag = max((o.lag for o in status.origins), default=0)
    if failing:
        return False, _("Synchronisation en échec avec : %(peers)s.") % {
            "peers": ", ".join(failing)
        }
    held_back = [o.name or o.origin for o in status.origins if not o.complete]
    if held_back:
        return False, _("Modifications en attente de leur contenu pour : %(bureaus)s.") % {
            "bureaus": ", ".join(held_back)
        }
    return True, _("Synchronisation à jour avec %(n)s bureau(x) pair(s) ; retard : %(lag)s.") % {
        "n": len(status.peers),
        "lag": lag,
    }


@router.get("/")
def home(request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer) -> Response:
    since = dashboard.record_visit(db, account_id=viewer.account_id)
    news = dashboard.news(db, own=settings.node.slug, since=since)
    ok, health = sync_health(request, db)
    _ = speaker(request).gettext
    return render(
        request,
        "dashboard.html",
        {
            "title": _("Tableau de bord"),
            "news": news,
            "health_ok": ok,
            "health": health,
            "overdue": compliance.overdue_items(db, today_of(request)) if viewer.is_staff else [],
            "loan_requests": loans.awaiting_decision(db) if viewer.is_staff else 0,
            "hosting_offers": hosting.pending_offers(db) if viewer.is_staff else 0,
            "notice": notice(request),
        },
    )
