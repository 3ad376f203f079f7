"""The payroll export: one CSV row per contract, for the bureau's payroll provider.

Archipel computes no payroll. The provider receives what it needs to draw up the CDDU, the
DPAE, the payslip, the AEM and the certificat d'emploi Congés Spectacles: who, which
production and numéro d'objet, which date and place, convention, annexe, profession,
cachets or hours, gross pay and the working days.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from node.models import Engagement, Member, Organisation, Production, TourDate
from node.services.engagements import dpae_window, performance_day
from node.services.paygrids import euros

HEADER = (
    "engagement_id",
    "salarie",
    "salarie_email",
    "spectacle",
    "numero_objet",
    "date_representation",
    "lieu",
    "ville",
    "emploi",
    "role",
    "categorie",
    "convention",
    "annexe",
    "base",
    "cachets",
    "heures",
    "brut",
    "premier_jour",
    "dernier_jour",
    "jours_repetition",
    "dpae_au_plus_tot",
    "dpae_au_plus_tard",
    "cddu_signe_le",
    "dpae_envoyee_le",
    "aem_emise_le",
    "certificat_conges_spectacles_le",
)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def export_csv(session: Session, rows: Sequence[Engagement]) -> str:
    """CSV text (`;`-separated, UTF-8 with BOM, decimal comma) of the engagements given."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        member = session.get(Member, row.member_id)
        tour_date = session.get(TourDate, row.tour_date_id)
        if member is None or tour_date is None:
            continue
        production = session.get(Production, tour_date.production_id)
        venue = session.get(Organisation, tour_date.venue_id) if tour_date.venue_id else None
        window = dpae_window(row.first_working_day)
        writer.writerow(
            [
                row.id,
                member.display_name,
                member.email,
                production.title if production else "",
                production.object_number if production else "",
                performance_day(tour_date).isoformat(),
                venue.name if venue else "",
                tour_date.city,
                row.profession,
                row.role,
                row.category,
                row.convention.upper(),
                row.annexe,
                row.pay_basis,
                row.cachets if row.pay_basis == "cachet" else "",
                str(row.hours).replace(".", ",") if row.pay_basis == "heures" else "",
                str(euros(row.gross_pay_cents)).replace(".", ","),
                _day(row.first_working_day),
                _day(row.last_working_day),
                " ".join(row.rehearsal_days),
                _day(window.earliest),
                _day(window.latest),
                _day(row.cddu_signed_on),
                _day(row.dpae_sent_on),
                _day(row.aem_issued_on),
                _day(row.conges_certificate_on),
            ]
        )
    return out.getvalue()
