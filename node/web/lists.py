"""What list pages share: paging links, CSV exports, one-word notices after a redirect."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from starlette.requests import Request
from starlette.responses import Response

from node.web.i18n import N_
from node.web.templating import speaker

PAGE_SIZE = 50
NOTICES = {
    "password": N_("Votre mot de passe est changé."),
    "saved": N_("Enregistré."),
    "created": N_("Créé."),
    "deleted": N_("Supprimé."),
    "erased": N_("Votre fiche a été effacée, ici et chez les bureaux du réseau."),
    "peer": N_("Le bureau est ajouté à vos pairs ; la synchronisation commence."),
    "blocked": N_("L'origine est bloquée et ses données sont effacées."),
    "feed": N_("L'adresse de l'agenda est prête."),
    "revoked": N_("L'adresse de l'agenda est révoquée."),
    "merged": N_("Fiches fusionnées : les historiques des deux sont gardés sur celle-ci."),
}


def notice(request: Request) -> str:
    """The message a redirect asked to show (`?notice=saved`), translated."""
    key = request.query_params.get("notice", "")
    return speaker(request).gettext(NOTICES[key]) if key in NOTICES else ""


def offset_of(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return int(raw) if raw.isdigit() else 0


def page_links(
    request: Request, *, offset: int, total: int, limit: int = PAGE_SIZE
) -> dict[str, str]:
    """`page_prev` / `page_next` URLs keeping the filters, for the pager macro."""
    links: dict[str, str] = {"page_prev": "", "page_next": ""}
    if offset > 0:
        links["page_prev"] = str(request.url.include_query_params(offset=max(0, offset - limit)))
    if offset + limit < total:
        links["page_next"] = str(request.url.include_query_params(offset=offset + limit))
    return links


def csv_url(request: Request) -> str:
    """The CSV export of the list the page shows, filters kept."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}.csv{query}"


def filters_of(request: Request, names: Iterable[str]) -> dict[str, str]:
    """The filter fields of a list page, as typed (empty when absent)."""
    return {name: request.query_params.get(name, "").strip() for name in names}


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV download, UTF-8 with a byte-order mark so spreadsheet apps read the accents."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
