"""`archipel peer list` names a bureau whose latest change a relay passed on without its
content, until the bureau itself (or another peer) completes it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from factories import member_data
from federation.models import FedEntry
from node.cli import app
from tests.archipelago import Bureau, line, peer


def run(bureau: Bureau, *args: str) -> str:
    result = CliRunner().invoke(app, ["--home", str(bureau.settings.home), *args])
    assert result.exit_code == 0, result.output
    return result.output


def withhold_latest(relay: Bureau, origin: str, record_id: str) -> None:
    with Session(relay.engine) as session, session.begin():
        seq = session.scalar(
            select(func.max(FedEntry.seq)).where(
                FedEntry.origin == origin, FedEntry.record_id == record_id
            )
        )
        session.execute(
            update(FedEntry).where(FedEntry.origin == origin, FedEntry.seq == seq).values(body=None)
        )


def test_peer_list_names_a_bureau_held_back_until_its_origin_completes_it(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    with line(tmp_path, new_db_url, "lyon", "grenoble", "annecy") as (lyon, grenoble, annecy):
        member = lyon.client.post(
            "/api/members", json=member_data(display_name="Camille"), headers=lyon.staff
        ).json()
        grenoble.pull("lyon")
        annecy.pull("grenoble")
        moved = lyon.client.patch(
            f"/api/members/{member['id']}",
            json={"city": "Vienne"},
            headers={**lyon.staff, "If-Match": '"1"'},
        )
        assert moved.status_code == 200, moved.text
        grenoble.pull("lyon")
        withhold_latest(grenoble, "lyon", member["id"])
        annecy.pull("grenoble")
        assert [c["city"] for c in annecy.directory(origin="lyon")] == ["Lyon"]
        assert "lyon: incomplete, 1 record(s) waiting for their content" in run(
            annecy, "peer", "list"
        )
        peer(lyon, annecy)
        report = annecy.pull("grenoble")
        assert report.recovered == {"lyon": 1}
        assert [c["city"] for c in annecy.directory(origin="lyon")] == ["Vienne"]
        assert "incomplete" not in run(annecy, "peer", "list")
