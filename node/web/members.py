"""Membres: the bureau's members — list, card, create, edit, delete."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.models import Member
from node.services import members as service
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import form_page, posted_version, submit
from node.web.feeds import feed_context
from node.web.forms import Field, values_of
from node.web.i18n import N_
from node.web.lists import csv_response, csv_url, filters_of, notice, offset_of, page_links
from node.web.templating import render, speaker
from schemas.members import MemberCreate, MemberUpdate

router = APIRouter()
VISIBILITY = (("local", N_("Local")), ("network", N_("Réseau")), ("public", N_("Public")))
CARD_FIELDS = (
    Field("display_name", N_("Nom affiché"), required=True),
    Field(
        "trades",
        N_("Métiers"),
        "tags",
        help=N_("Séparés par des virgules : régisseuse son, comédien…"),
    ),
    Field("skills", N_("Compétences"), "tags", help=N_("Séparées par des virgules.")),
    Field("languages", N_("Langues"), "tags"),
    Field("city", N_("Ville")),
    Field("territory", N_("Territoire")),
    Field("bio", N_("Présentation"), "textarea"),
    Field("links", N_("Liens (un par ligne)"), "lines"),
    Field("visibility", N_("Visibilité de la fiche"), "visibility"),
    Field(
        "network_proposals",
        N_("M'accepte pour des propositions du réseau"),
        "checkbox",
        help=N_(
            "Le bureau peut me proposer à un autre bureau qui accueille une tournée, "
            "les jours où je suis disponible."
        ),
    ),
    Field("email", N_("E-mail"), "email", optional_none=True),
    Field("phone", N_("Téléphone")),
    Field("address", N_("Adresse postale"), "textarea"),
)
STAFF_FIELDS = (
    Field("member_since", N_("Sociétaire depuis le"), "date"),
    Field("shares", N_("Parts sociales"), "number"),
)
FIELDS = CARD_FIELDS + STAFF_FIELDS
FILTERS = (
    Field("q", N_("Rechercher")),
    Field("trade", N_("Métier")),
    Field("skill", N_("Compétence")),
    Field("visibility", N_("Visibilité"), "select", choices=(("", N_("Toutes")), *VISIBILITY)),
)


def _list(request: Request, db: Db, limit: int, offset: int) -> tuple[list[Member], int]:
    f = filters_of(request, ("q", "trade", "skill", "visibility"))
    rows, total = service.list_members(
        db,
        q=f["q"] or None,
        trade=f["trade"] or None,
        skill=f["skill"] or None,
        visibility=f["visibility"] or None,
        limit=limit,
        offset=offset,
    )
    return list(rows), total


@router.get("/membres")
def members_list(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    offset = offset_of(request)
    rows, total = _list(request, db, 50, offset)
    labels = dict(VISIBILITY)
    return render(
        request,
        "list.html",
        {
            "title": _("Membres"),
            "filter_fields": FILTERS,
            "filters": filters_of(request, ("q", "trade", "skill", "visibility")),
            "columns": [_("Nom"), _("Métiers"), _("Ville"), _("Visibilité")],
            "rows": [
                {
                    "url": f"/membres/{m.id}",
                    "cells": [
                        m.display_name,
                        ", ".join(m.trades),
                        m.city,
                        _(labels.get(m.visibility, "")),
                    ],
                }
                for m in rows
            ],
            "total": total,
            "new_url": "/membres/nouveau" if viewer.is_staff else "",
            "new_label": _("Ajouter un membre"),
            "csv_url": csv_url(request),
            "notice": notice(request),
            **page_links(request, offset=offset, total=total),
        },
    )


@router.get("/membres.csv")
def members_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    rows, _total = _list(request, db, 500, 0)
    _ = speaker(request).gettext
    header = [
        _("Nom"),
        _("Métiers"),
        _("Compétences"),
        _("Ville"),
        _("Territoire"),
        _("Visibilité"),
    ]
    return csv_response(
        "membres.csv",
        header,
        (
            [
                m.display_name,
                ", ".join(m.trades),
                ", ".join(m.skills),
                m.city,
                m.territory,
                m.visibility,
            ]
            for m in rows
        ),
    )


@router.get("/membres/nouveau")
def new_member(request: Request, viewer: StaffViewer) -> Response:
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Nouveau membre"),
        fields=FIELDS,
        outcome_or_values={"visibility": "local"},
        action="/membres/nouveau",
        cancel="/membres",
    )


@router.post("/membres/nouveau")
def create_member(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        FIELDS,
        MemberCreate,
        lambda data: service.create_member(db, actor=viewer.actor, data=data),
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Nouveau membre"),
            fields=FIELDS,
            outcome_or_values=outcome,
            action="/membres/nouveau",
            cancel="/membres",
        )
    return RedirectResponse(f"/membres/{outcome.record.id}?notice=created", status_code=303)


@router.get("/membres/{member_id}")
def member_page(
    member_id: str, request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer
) -> Response:
    member = service.get_member(db, member_id=member_id)
    _ = speaker(request).gettext
    fmt = speaker(request)
    private = service.sees_private(viewer.actor, member)
    labels = dict(VISIBILITY)
    details = [
        (_("Métiers"), ", ".join(member.trades)),
        (_("Compétences"), ", ".join(member.skills)),
        (_("Langues"), ", ".join(member.languages)),
        (_("Ville"), member.city),
        (_("Territoire"), member.territory),
        (_("Présentation"), member.bio),
        (_("Visibilité"), _(labels.get(member.visibility, ""))),
        (_("Consentement au partage"), fmt.date(member.consent_at) if member.consent_at else ""),
    ]
    if private:
        details += [
            (_("E-mail"), member.email),
            (_("Téléphone"), member.phone),
            (_("Sociétaire depuis le"), fmt.date(member.member_since)),
            (_("Parts sociales"), fmt.number(member.shares)),
        ]
    editable = private
    return render(
        request,
        "detail.html",
        {
            "title": member.display_name,
            "details": details,
            "back_url": "/membres",
            "back_label": _("Membres"),
            "edit_url": f"/membres/{member.id}/modifier" if editable else "",
            "delete_url": f"/membres/{member.id}/supprimer" if viewer.is_staff else "",
            "version": member.version,
            "sections": [],
            "notice": notice(request),
            **feed_context(db, settings, viewer, "member", member.id),
        },
    )


def _edit_fields(viewer: CurrentViewer) -> tuple[Field, ...]:
    return FIELDS if viewer.is_staff else CARD_FIELDS


@router.get("/membres/{member_id}/modifier")
def edit_member(member_id: str, request: Request, db: Db, viewer: CurrentViewer) -> Response:
    member = service.get_member(db, member_id=member_id)
    _ = speaker(request).gettext
    fields = _edit_fields(viewer)
    return form_page(
        request,
        title=_("Modifier %(name)s") % {"name": member.display_name},
        fields=fields,
        outcome_or_values=values_of(member, fields),
        action=f"/membres/{member_id}/modifier",
        cancel=f"/membres/{member_id}",
        version=member.version,
    )


@router.post("/membres/{member_id}/modifier")
def update_member(
    member_id: str, request: Request, form: Posted, db: Db, viewer: CurrentViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    fields = _edit_fields(viewer)
    outcome = submit(
        request,
        form,
        fields,
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
            title=_("Modifier la fiche"),
            fields=fields,
            outcome_or_values=outcome,
            action=f"/membres/{member_id}/modifier",
            cancel=f"/membres/{member_id}",
            version=outcome.values.get("version"),
        )
    return RedirectResponse(f"/membres/{member_id}?notice=saved", status_code=303)


@router.post("/membres/{member_id}/supprimer")
def delete_member(member_id: str, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    service.delete_member(
        db,
        actor=viewer.actor,
        member_id=member_id,
        expected_version=posted_version(form),
    )
    return RedirectResponse("/membres?notice=deleted", status_code=303)
