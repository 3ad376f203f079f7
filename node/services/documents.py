"""Documents of the production office: editable Jinja2 templates rendered as HTML and PDF.

Each bureau may replace a shipped template (`node/templates_office/*.html.j2`, in French)
with its own; templates run in Jinja2's sandbox with autoescaping, so an edited template
cannot reach the application's internals nor inject markup through the data. PDF comes
from the same HTML through fpdf2 (pure Python, no browser): it keeps headings, paragraphs,
bold and italics, lists and tables, and drops styles.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import DocumentTemplate
from node.problems import DomainError, NotFound
from node.services.common import audit
from node.services.editing import require_staff
from schemas.common import FieldError

TEMPLATES = ("contrat", "decompte", "feuille-de-route")
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def euros(value: Decimal | int | float | None) -> str:
    """`1234.5` → `1 234,50 €` (French grouping and decimal comma)."""
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole, _, cents = f"{amount:,.2f}".partition(".")
    return f"{whole.replace(',', ' ')},{cents} €"


def day(value: date | str | None) -> str:
    """`2026-03-14` → `14 mars 2026` (a date, or its ISO text as stored in JSON)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["euros"] = euros
    env.filters["jour"] = day
    return env


def default_body(name: str) -> str:
    if name not in TEMPLATES:
        raise NotFound(
            f"no document template {name!r}; there are: {', '.join(TEMPLATES)}",
            code="template_unknown",
        )
    return (resources.files("node") / "templates_office" / f"{name}.html.j2").read_text("utf-8")


def template_body(session: Session, name: str) -> tuple[str, DocumentTemplate | None]:
    """The bureau's version of template `name`, or the shipped default (and its row, if any)."""
    default = default_body(name)
    own = session.get(DocumentTemplate, name)
    return (own.body if own else default), own


def save_template(session: Session, *, actor: Actor, name: str, body: str) -> DocumentTemplate:
    """Store the bureau's own version of a template, refusing one that does not compile."""
    require_staff(actor, "edit document templates")
    default_body(name)
    try:
        _environment().parse(body)
    except TemplateError as exc:
        raise DomainError(
            f"the template does not compile: {exc}",
            errors=[FieldError(field="body.body", message=str(exc), code="template_syntax")],
            error=str(exc),
        ) from exc
    row = session.get(DocumentTemplate, name) or DocumentTemplate(name=name)
    row.body, row.updated_by = body, actor.name
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="update", entity="template", entity_id=name, fields=["body"])
    return row


def reset_template(session: Session, *, actor: Actor, name: str) -> None:
    """Go back to the shipped default."""
    require_staff(actor, "edit document templates")
    default_body(name)
    row = session.get(DocumentTemplate, name)
    if row is not None:
        session.delete(row)
        audit(session, actor=actor, action="delete", entity="template", entity_id=name)
        session.flush()


def render(session: Session, name: str, context: dict[str, Any]) -> str:
    """The HTML of template `name` for `context`; a template error is a 400 naming it."""
    body, _ = template_body(session, name)
    try:
        return _environment().from_string(body).render(**context)
    except TemplateError as exc:
        raise DomainError(
            f"the template {name!r} failed: {exc}", code="template_failed", error=str(exc)
        ) from exc


_DROP = re.compile(r"<(head|style|script)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_WRAPPERS = re.compile(r"</?(html|body|main|section|article|header|footer|div|span)\b[^>]*>", re.I)
_CELL = re.compile(r"(<t[dh]\b[^>]*>)(.*?)(</t[dh]\s*>)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACES = {"\u202f": " ", "\u2009": " ", "\u2011": "-", "\u2010": "-", "\u2192": "->"}


def _pdf_text(html: str) -> str:
    """HTML fpdf2 can lay out with its core fonts (Windows-1252): other characters folded."""
    html = _WRAPPERS.sub("", _DROP.sub("", html))
    # fpdf2 lays out plain text in table cells: markup inside a cell is flattened.
    html = _CELL.sub(lambda m: m[1] + " ".join(_TAG.sub(" ", m[2]).split()) + m[3], html)
    out = []
    for ch in html:
        ch = _SPACES.get(ch, ch)
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(folded or "?")
    return "".join(out)


def to_pdf(html: str, *, title: str) -> bytes:
    """A PDF of `html` (A4, Helvetica), titled `title`."""
    # Imported here: fpdf2 (with Pillow and fontTools) is some 17 MB that a serving node
    # should only load once someone asks for a PDF.
    from fpdf import FPDF
    from fpdf.errors import FPDFException

    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_pdf_text(title))
    pdf.set_creator("Archipel")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    try:
        pdf.write_html(_pdf_text(html), ul_bullet_char="-")
        return bytes(pdf.output())
    except (NotImplementedError, ValueError, KeyError, FPDFException) as exc:
        raise DomainError(
            f"this document's HTML cannot be laid out as PDF ({exc}); "
            "simplify the template (headings, paragraphs, lists, plain tables)",
            code="pdf_layout",
        ) from exc
