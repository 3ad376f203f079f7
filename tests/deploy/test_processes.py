"""Deployment with real processes: one scheduler among many, a worker beside web processes,
behind a reverse proxy, on PostgreSQL when configured."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.processes import Process, answers, attempt, free_port, processes, run, wait_for
from tests.reverse_proxy import reverse_proxy

FAST = {
    "ARCHIPEL_FEDERATION__SYNC_INTERVAL": "2",
    "ARCHIPEL_FEDERATION__NOTIFY_DEBOUNCE": "0.2",
}
LEADS = "now runs the federation scheduler"


def init(home: Path, slug: str, url: str, db_url: str) -> None:
    run(
        "--home",
        str(home),
        "init",
        "--slug",
        slug,
        "--name",
        f"Bureau {slug}",
        "--territory",
        f"Terre {slug}",
        "--url",
        url,
        "--db",
        db_url,
    )


def token(home: Path) -> str:
    return run("--home", str(home), "token", "create", "--role", "staff", "--quiet").strip()


def test_one_worker_leads_and_another_takes_over_within_one_interval(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    home = tmp_path / "lyon"
    init(home, "lyon", "http://127.0.0.1:9", new_db_url("lyon"))
    with processes() as started:
        for n in range(3):
            started.append(Process(["--home", str(home), "worker"], tmp_path / f"w{n}.log", FAST))
        wait_for(lambda: sum(LEADS in p.output() for p in started) >= 1, timeout=20)
        leaders = [p for p in started if LEADS in p.output()]
        assert len(leaders) == 1
        leaders[0].kill(signal.SIGKILL)
        others = [p for p in started if p is not leaders[0]]
        # sync_interval is 2 s: a new leader within one interval (plus process start slack).
        took = wait_for(lambda: sum(LEADS in p.output() for p in others) == 1, timeout=6)
        assert took <= 4
        assert sum(LEADS in p.output() for p in others) == 1


def test_web_processes_behind_a_proxy_with_a_worker_sync_with_a_peer(
    tmp_path: Path, new_db_url: Callable[[str], str]
) -> None:
    """migrate → worker → web (2 processes) behind a reverse proxy; signatures are checked
    against the public URL the proxy serves; a peer syncs with it both ways."""
    web_port, peer_port = free_port(), free_port()
    lyon, lille = tmp_path / "lyon", tmp_path / "lille"
    with reverse_proxy(f"http://127.0.0.1:{web_port}") as public_url, processes() as started:
        init(lyon, "lyon", public_url, new_db_url("lyon"))
        init(lille, "lille", f"http://127.0.0.1:{peer_port}", new_db_url("lille"))
        run("--home", str(lyon), "migrate")
        started.append(Process(["--home", str(lyon), "worker"], tmp_path / "worker.log", FAST))
        started.append(
            Process(
                ["--home", str(lyon), "serve", "--port", str(web_port), "--workers", "2"],
                tmp_path / "web.log",
                FAST,
            )
        )
        started.append(
            Process(
                ["--home", str(lille), "serve", "--port", str(peer_port)],
                tmp_path / "lille.log",
                FAST,
            )
        )
        wait_for(lambda: answers(f"{public_url}/ready"), timeout=30)
        wait_for(lambda: answers(f"http://127.0.0.1:{peer_port}/ready"), timeout=30)
        run("--home", str(lyon), "peer", "add", f"http://127.0.0.1:{peer_port}", "--yes")
        run("--home", str(lille), "peer", "add", public_url, "--yes")

        staff = {"Authorization": f"Bearer {token(lyon)}"}
        created = httpx.post(
            f"{public_url}/api/members",
            headers=staff,
            timeout=10,
            json={"display_name": "Maëlle Proxy", "visibility": "network"},
        )
        assert created.status_code == 201
        peer_staff = {"Authorization": f"Bearer {token(lille)}"}

        def seen_on_lille() -> bool:
            items = httpx.get(
                f"http://127.0.0.1:{peer_port}/api/directory",
                params={"q": "maelle"},
                headers=peer_staff,
                timeout=5,
            )
            return bool(items.json()["items"])

        wait_for(seen_on_lille, timeout=20)
        created = httpx.post(
            f"http://127.0.0.1:{peer_port}/api/members",
            headers=peer_staff,
            json={"display_name": "Yves Retour", "visibility": "network"},
        )
        assert created.status_code == 201

        def seen_on_lyon() -> bool:
            items = httpx.get(
                f"{public_url}/api/directory", params={"q": "yves"}, headers=staff, timeout=5
            )
            return bool(items.json()["items"])

        wait_for(seen_on_lyon, timeout=20)
        # Only the worker schedules: the web processes never lead.
        assert LEADS in started[0].output()
        assert LEADS not in started[1].output()


def test_a_proxy_that_rewrites_host_gets_federation_requests_refused(
    tmp_path: Path,
) -> None:
    web_port, peer_port = free_port(), free_port()
    lyon, lille = tmp_path / "lyon", tmp_path / "lille"
    with (
        reverse_proxy(f"http://127.0.0.1:{web_port}", keep_host=False) as public_url,
        processes() as started,
    ):
        init(lyon, "lyon", public_url, f"sqlite:///{tmp_path / 'lyon.db'}")
        init(lille, "lille", f"http://127.0.0.1:{peer_port}", f"sqlite:///{tmp_path / 'l.db'}")
        started.append(
            Process(
                ["--home", str(lyon), "serve", "--port", str(web_port)], tmp_path / "web.log", FAST
            )
        )
        started.append(
            Process(
                ["--home", str(lille), "serve", "--port", str(peer_port)],
                tmp_path / "lille.log",
                FAST,
            )
        )
        wait_for(lambda: answers(f"{public_url}/health"), timeout=30)
        wait_for(lambda: answers(f"http://127.0.0.1:{peer_port}/health"), timeout=30)
        run("--home", str(lyon), "peer", "add", f"http://127.0.0.1:{peer_port}", "--yes")
        run("--home", str(lille), "peer", "add", public_url, "--yes")
        sync = attempt("--home", str(lille), "sync", "--peer", "lyon")
        # The Host the node sees is not the one the peer signed for: refused, nothing pulled.
        assert sync.returncode == 1
        assert "401" in sync.stderr
        assert "bad_signature" in sync.stderr or "wrong_audience" in sync.stderr
