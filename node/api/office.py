"""`/api/office`: the production office's profile and its editable document templates."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from node.api.deps import Db, StaffActor
from node.services import documents, office
from schemas.contracts import OfficeProfile, TemplateBody, TemplatePublic

router = APIRouter(prefix="/api/office", tags=["office"])


@router.get("/profile", response_model=OfficeProfile)
def get_profile(db: Db, _actor: StaffActor) -> OfficeProfile:
    """The bureau as producer on its contracts (name, address, licence, signatory)."""
    return office.profile(db)


@router.put("/profile", response_model=OfficeProfile)
def put_profile(data: OfficeProfile, db: Db, actor: StaffActor) -> OfficeProfile:
    return office.save_profile(db, actor=actor, data=data)


@router.get("/templates/{name}", response_model=TemplatePublic)
def get_template(name: str, db: Db, _actor: StaffActor) -> TemplatePublic:
    """A document template: `contrat`, `decompte` or `feuille-de-route`."""
    body, own = documents.template_body(db, name)
    return TemplatePublic(
        name=name, body=body, is_default=own is None, updated_by=own.updated_by if own else ""
    )


@router.put("/templates/{name}", response_model=TemplatePublic)
def put_template(name: str, data: TemplateBody, db: Db, actor: StaffActor) -> TemplatePublic:
    """Replace a template with the bureau's own (Jinja2, sandboxed; must compile)."""
    row = documents.save_template(db, actor=actor, name=name, body=data.body)
    return TemplatePublic(name=name, body=row.body, is_default=False, updated_by=row.updated_by)


@router.delete("/templates/{name}", status_code=status.HTTP_204_NO_CONTENT)
def reset_template(name: str, db: Db, actor: StaffActor) -> Response:
    """Go back to the shipped template."""
    documents.reset_template(db, actor=actor, name=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
