"""Mon profil: a member edits their own card, chooses its visibility, may ask for erasure."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.services import members as service
from node.web.deps import CurrentViewer, Posted, check_csrf
from node.web.editing import form_page, posted_version, submit
from node.web.feeds import feed_context
from node.web.forms import values_of
from node.web.lists import notice
from node.web.members import CARD_FIELDS
from node.web.templating import render, speaker
from schemas.members import MemberUpdate

router = APIRouter()


@router.get("/profil")
def profile(request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    member_id = viewer.actor.member_id
    if member_id is None:
        return render(
            request,
            "profile.html",
            {"title": _("Mon profil"), "member": None, "notice": notice(request)},
        )
    member = service.get_member(db, member_id=member_id)
    return render(
        request,
        "profile.html",
        {
            "title": _("Mon profil"),
            "member": member,
            "fields": CARD_FIELDS,
            "values": values_of(member, CARD_FIELDS),
            "errors": {},
            "notice": notice(request),
            **feed_context(db, settings, viewer, "member", member.id),
        },
    )


@router.post("/profil")
def save_profile(request: Request, form: Posted, db: Db, viewer: CurrentViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    member_id = viewer.actor.member_id
    if member_id is None:
        return RedirectResponse("/profil", status_code=303)
    outcome = submit(
        request,
        form,
        CARD_FIELDS,
        MemberUpdate,
        lambda data: service.update_member(
            db, actor=viewer.actor, member_id=member_id, data=data, expected_version=None
        ),
        versioned=True,
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Mon profil"),
            fields=CARD_FIELDS,
            outcome_or_values=outcome,
            action="/profil",
            cancel="/profil",
            version=outcome.values.get("version"),
        )
    return RedirectResponse("/profil?notice=saved", status_code=303)


@router.post("/profil/effacement")
def erase_profile(form: Posted, db: Db, viewer: CurrentViewer) -> Response:
    """Erase my card and my member record, here and, through a tombstone, in every replica."""
    check_csrf(form, viewer.csrf_token)
    member_id = viewer.actor.member_id
    if member_id is not None and form.get("confirm") == "oui":
        service.delete_member(
            db,
            actor=viewer.actor,
            member_id=member_id,
            expected_version=posted_version(form),
        )
        return RedirectResponse("/profil?notice=erased", status_code=303)
    return RedirectResponse("/profil", status_code=303)
