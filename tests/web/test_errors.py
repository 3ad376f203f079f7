"""The pages' catalogue of refusals: every code the node raises is said in French and English,
and no page reads the English text of an error."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from node.problems import Conflict, DomainError, VersionConflict
from node.services import loans
from node.web import errors as catalogue
from node.web.errors import ERROR_MESSAGES, field_errors, problem_errors, problem_message
from node.web.i18n import translations
from schemas.common import FieldError
from schemas.engagements import EngagementCreate

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node"
SCHEMAS = ROOT / "schemas"
ENGLISH = translations("en").gettext


# What refuses a request with a code: the problem classes, a field error, a bare problem.
def _refusals(cls: type[DomainError]) -> set[str]:
    return {cls.__name__}.union(*(_refusals(sub) for sub in cls.__subclasses__()))


REFUSALS = _refusals(DomainError) | {"FieldError", "problem_response"}


def french(message: str) -> str:
    return message


def raised_codes() -> dict[str, str]:
    """Every code literal of node/ and schemas/, with where it is: `code="…"` keywords (a
    DomainError, a FieldError), `code = "…"` class defaults and `refusal("…", …)`."""
    found: dict[str, str] = {}
    for path in [*NODE.rglob("*.py"), *SCHEMAS.rglob("*.py")]:
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                for keyword in node.keywords:
                    if (
                        name in REFUSALS
                        and keyword.arg == "code"
                        and isinstance(keyword.value, ast.Constant)
                    ):
                        found[str(keyword.value.value)] = f"{where}:{node.lineno}"
                first = node.args[0] if node.args else None
                if name == "refusal" and isinstance(first, ast.Constant):
                    found[str(first.value)] = f"{where}:{node.lineno}"
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and [getattr(t, "id", "") for t in statement.targets] == ["code"]
                        and isinstance(statement.value, ast.Constant)
                    ):
                        found[str(statement.value.value)] = f"{where}:{statement.lineno}"
    return found


def test_the_scan_finds_the_codes_of_services_schemas_and_problem_classes() -> None:
    """A scan that found nothing would let every later check pass: it sees all three forms."""
    codes = raised_codes()
    assert {"licence_missing", "cachets_missing", "version_conflict", "loan_overlap"} <= set(codes)
    assert len(codes) > 60


def test_every_code_raised_has_a_french_sentence_with_an_english_translation() -> None:
    missing = {c: w for c, w in raised_codes().items() if c not in ERROR_MESSAGES}
    assert not missing, f"codes without a sentence in node/web/errors.py: {missing}"
    untranslated = [c for c, m in ERROR_MESSAGES.items() if ENGLISH(m) == m]
    assert not untranslated, f"no English in messages.po for: {untranslated}"


def test_every_reason_code_a_loan_can_carry_has_a_sentence() -> None:
    """What the loan service writes in `reason_code` (a literal or one of its constants) is
    said by the pages."""
    tree = ast.parse((NODE / "services" / "loans.py").read_text("utf-8"))
    codes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "reason_code":
            if isinstance(node.value, ast.Constant) and node.value.value:
                codes.add(str(node.value.value))
            elif isinstance(node.value, ast.Name) and node.value.id.isupper():
                codes.add(getattr(loans, node.value.id))
    assert {"period_taken", "unknown_at_owner", "action_refused"} <= codes
    assert codes <= set(ERROR_MESSAGES)


def test_the_catalogue_keys_are_slugs() -> None:
    bad = [c for c in ERROR_MESSAGES if not c.replace("_", "").isalnum() or c != c.lower()]
    assert not bad


def test_no_page_module_reads_the_text_of_an_error_or_carries_a_message_map() -> None:
    """Pages switch on codes: no `.detail`, `.message` or pydantic `msg` is read in node/web,
    and the office's English-to-French maps are gone."""
    offenders = []
    for path in (NODE / "web").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"detail", "message"}:
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Constant) and node.value == "msg":
                offenders.append(f"{path.name}:{node.lineno} 'msg'")
    assert not offenders
    from node.web import office_common

    for gone in ("FIELD_MESSAGES", "DETAIL_MESSAGES", "MODEL_MESSAGES", "attempt", "Attempt"):
        assert not hasattr(office_common, gone)


def test_a_field_refusal_is_said_by_its_code_whatever_its_english_message() -> None:
    exc = DomainError(
        "reworded for the API",
        errors=[FieldError(field="body.fee", message="anything at all", code="fee_missing")],
    )
    assert problem_errors(exc, french) == {"fee": "Une cession a un prix de cession."}
    assert problem_errors(exc, ENGLISH) == {"fee": "A cession has a fee."}


def test_a_refusal_with_an_unknown_code_falls_back_to_a_french_sentence_by_status() -> None:
    """Never the English detail, even for a code the catalogue does not know yet."""
    exc = Conflict("the thing is in an English state", code="some_new_code")
    assert problem_message(exc, french) == ERROR_MESSAGES["conflict"]
    assert "English" not in str(problem_errors(exc, french))


def test_a_sentence_quotes_the_problems_figures() -> None:
    exc = DomainError(
        "the grid lacks columns",
        code="grid_columns_missing",
        columns=["convention", "minimum"],
    )
    assert problem_message(exc, french).endswith(": convention, minimum")


def test_pay_below_the_grid_names_the_figures_and_the_unit_typed() -> None:
    exc = DomainError(
        "under",
        errors=[FieldError(field="body.gross_pay", message="x", code="pay_below_minimum")],
        pay_check={"per_unit": "80.00", "minimum": "98.50", "grid_source": ""},
    )
    said = problem_errors(exc, french, {"pay_basis": "heures"})["gross_pay"]
    assert "80.00 € par heure" in said
    assert "98.50 €" in said
    assert "(—)" in said


def test_a_version_conflict_is_said_whole() -> None:
    said = problem_errors(VersionConflict("changed", current_version=3), french)
    assert said == {"": ERROR_MESSAGES["version_conflict"]}


def test_a_whole_model_refusal_goes_to_the_field_it_concerns() -> None:
    with pytest.raises(ValidationError) as caught:
        EngagementCreate.model_validate(
            {
                "member_id": "m1",
                "profession": "Comédienne",
                "annexe": "I",
                "cachets": 0,
                "gross_pay": Decimal("100"),
            }
        )
    assert field_errors(caught.value, french) == {"cachets": ERROR_MESSAGES["cachets_missing"]}


def test_the_general_sentences_cover_every_status_a_page_can_show() -> None:
    for status in (400, 401, 403, 404, 409, 422, 428, 429, 500):
        assert catalogue.status_message(status, french)
