"""Measure a catch-up and the first-seen delay across a line, with real `archipel` processes.

1. Catch-up: node A (lyon, SQLite) imports N network-visible members with `archipel member
   import`; then a fresh peer on SQLite (grenoble) and, when `ARCHIPEL_TEST_POSTGRES_URL`
   is set, one on PostgreSQL (valence) each run ONE `archipel sync`, whose own summary line
   gives entries/s. Nodes serve with the scheduler off, so nothing but that command pulls.
2. First-seen delay, A–B–C in a line with the default federation settings (push hints,
   30 s pull interval): for each of K changes on A, the time until B's and C's directories
   show it (median reported).

Figures go to `bench/catchup-results.json` and to standard output. Run from the checkout:

    .venv/bin/python -m bench.catchup [--members 10000] [--changes 5] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, the folder first on the path would be bench/, whose modules could shadow
# others: put the checkout there instead (as `python -m bench.catchup` does).
sys.path[0] = str(ROOT)

from tests.e2e.nodes import Node, boot, make_node, node_env, peer, wait_until  # noqa: E402

POSTGRES_ENV = "ARCHIPEL_TEST_POSTGRES_URL"
RESULTS = ROOT / "bench" / "catchup-results.json"
SYNC_LINE = re.compile(r"^(\d+) entries applied in ([\d.]+) s(?: \(([\d,]+) entries/s\))?$", re.M)
# Production settings, except what the measurement needs (the env of `tests/e2e` is faster).
DEFAULTS = {
    "ARCHIPEL_FEDERATION__SYNC_INTERVAL": "30",
    "ARCHIPEL_FEDERATION__NOTIFY_DEBOUNCE": "0.5",
    "ARCHIPEL_FEDERATION__BACKOFF_MAX": "600",
    "ARCHIPEL_FEDERATION__REQUEST_TIMEOUT": "10",
}
QUIET = {"ARCHIPEL_FEDERATION__ENABLED": "false"}
HEALTH = 90.0  # a measurement may share its machine: wait longer than the tests do

# Common French first and last names (INSEE), accents and all.
FIRST_NAMES = """
Camille Léa Manon Chloé Inès Jade Louise Zoé Lucie Anaïs Maëlle Clémence Océane Romane Élodie
Capucine Margaux Juliette Salomé Agathe Noémie Héloïse Ophélie Gaëlle Solène Lucas Hugo Théo
Nathan Louis Jules Gabriel Arthur Raphaël Noé Malo Basile Timothée Aurélien Gaspard Étienne
Benoît Jérôme Mathis Quentin Loïc Yann Maxime Félix Joël
"""
LAST_NAMES = """
Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre
Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre Mercier Dupont
Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry
Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin
Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël Meyer
Lucas Meunier Jean Pérez Marchand Dufour Blanchard Barbier Brun Dumas Brunet Schmitt Leroux
Colin Fernandez Pierre Renard Arnaud Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud
Lemoine Picard Gaillard Philippe Lacroix Fabre Bérard Chauvin Besnard Ferrand Delmas Poulain
Tessier Carré Bailly
"""
FIRST = tuple(FIRST_NAMES.split())
LAST = tuple(LAST_NAMES.split())
TRADES = [
    "Régisseur général",
    "Régisseuse son",
    "Régisseur lumière",
    "Régisseuse plateau",
    "Machiniste",
    "Cintrier",
    "Éclairagiste",
    "Ingénieure du son",
    "Costumière",
    "Habilleuse",
    "Maquilleuse",
    "Accessoiriste",
    "Scénographe",
    "Constructeur décors",
    "Comédien",
    "Comédienne",
    "Danseuse",
    "Danseur",
    "Circassien",
    "Musicien",
    "Metteuse en scène",
    "Chorégraphe",
    "Administratrice de production",
    "Chargé de diffusion",
    "Vidéaste",
]
SKILLS = [
    "console Yamaha CL5",
    "façade",
    "retours",
    "DMX",
    "grandMA2",
    "accroche",
    "CACES nacelle",
    "habilitation électrique",
    "couture",
    "perruques",
    "soudure",
    "menuiserie",
    "trapèze",
    "jonglage",
    "clown",
    "chant lyrique",
    "piano",
    "vidéo-mapping",
    "QLab",
    "Resolume",
    "paie intermittents",
    "tournées internationales",
    "langue des signes",
]
CITIES = [
    ("Lyon", "Auvergne-Rhône-Alpes"),
    ("Villeurbanne", "Auvergne-Rhône-Alpes"),
    ("Vénissieux", "Auvergne-Rhône-Alpes"),
    ("Saint-Étienne", "Auvergne-Rhône-Alpes"),
    ("Grenoble", "Auvergne-Rhône-Alpes"),
    ("Annecy", "Auvergne-Rhône-Alpes"),
    ("Chambéry", "Auvergne-Rhône-Alpes"),
    ("Valence", "Auvergne-Rhône-Alpes"),
    ("Clermont-Ferrand", "Auvergne-Rhône-Alpes"),
    ("Bourg-en-Bresse", "Auvergne-Rhône-Alpes"),
    ("Roanne", "Auvergne-Rhône-Alpes"),
    ("Vienne", "Auvergne-Rhône-Alpes"),
    ("Mâcon", "Bourgogne-Franche-Comté"),
    ("Dijon", "Bourgogne-Franche-Comté"),
    ("Marseille", "Provence-Alpes-Côte d'Azur"),
    ("Avignon", "Provence-Alpes-Côte d'Azur"),
]
HEADER = ["nom", "ville", "territoire", "métiers", "compétences", "langues", "visibilité", "bio"]
LANGUAGES = ["français", "anglais", "espagnol", "italien", "allemand", "arabe", "LSF"]


def write_members_csv(path: Path, count: int, seed: int = 2024) -> None:
    """`count` network-visible members with French names, trades, skills and cities."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(HEADER)
        for _ in range(count):
            city, territory = rng.choice(CITIES)
            trades = rng.sample(TRADES, rng.randint(1, 2))
            out.writerow(
                [
                    f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    city,
                    territory,
                    ", ".join(trades),
                    ", ".join(rng.sample(SKILLS, rng.randint(0, 4))),
                    ", ".join(["français", *rng.sample(LANGUAGES[1:], rng.randint(0, 2))]),
                    rng.choice(["réseau", "réseau", "réseau", "public"]),
                    f"{trades[0]} à {city}, intermittent·e depuis {rng.randint(1995, 2023)}.",
                ]
            )


@contextmanager
def postgres_schemas(base: str) -> Iterator[Callable[[str], str]]:
    """One fresh PostgreSQL schema per node, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    sep = "&" if "?" in base else "?"

    def url(slug: str) -> str:
        schema = f"bench_{slug}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return f"{base}{sep}options=-csearch_path%3D{schema}"

    try:
        yield url
    finally:
        with admin.connect() as conn:
            for schema in made:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def running(nodes: list[Node]) -> Iterator[list[Node]]:
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def catch_up(base: Path, members: int, engines: list[str]) -> dict[str, Any]:
    """A (SQLite) imports `members`; then, per engine, a fresh peer runs one `archipel sync`.

    The source is the same for every engine, so only the applying side differs.
    """
    print(f"[catch-up] lyon imports {members} members", flush=True)
    base.mkdir(parents=True)
    csv_path = base / "membres.csv"
    write_members_csv(csv_path, members)
    a = make_node(base, "lyon")
    a.env = node_env(DEFAULTS | QUIET)
    runs = []
    with running([a]):
        boot([a], {"lyon": "Auvergne-Rhône-Alpes"}, health_timeout=HEALTH)
        started = time.perf_counter()
        imported = a.cli("member", "import", str(csv_path), timeout=1800).stdout.strip()
        import_s = time.perf_counter() - started
        entries = a.head_of("lyon")
        print(f"[catch-up] lyon: {imported} ({import_s:.1f} s, log head {entries})", flush=True)
        for engine, slug in (("sqlite", "grenoble"), ("postgresql", "valence")):
            if engine in engines:
                runs.append(one_sync(base, a, slug, engine, members, entries))
    return {
        "members": members,
        "source": "lyon on SQLite, members imported with `archipel member import`",
        "import_s": round(import_s, 2),
        "import_members_per_s": round(members / import_s),
        "log_entries": entries,
        "sync": runs,
    }


def one_sync(
    base: Path, a: Node, slug: str, engine: str, members: int, entries: int
) -> dict[str, Any]:
    """A fresh node on `engine`, peered with A, runs ONE `archipel sync`."""
    with database_urls(engine) as db_url:
        b = make_node(base, slug, db_url=db_url(slug))
        b.env = node_env(DEFAULTS | QUIET)
        with running([b]):
            boot([b], {slug: "Auvergne-Rhône-Alpes"}, health_timeout=HEALTH)
            peer((a, b), (b, a))
            started = time.perf_counter()
            out = b.cli("sync", timeout=1800).stdout
            wall_s = time.perf_counter() - started
            match = SYNC_LINE.search(out)
            assert match, out
            applied, sync_s = int(match.group(1)), float(match.group(2))
            print(
                f"[catch-up] {slug} ({engine}): {match.group(0)} (wall {wall_s:.1f} s)", flush=True
            )
            cards = len(b.directory(origin="lyon"))
            assert cards == members, f"{slug} holds {cards} of lyon's {members} cards"
            assert b.head_of("lyon") == entries, f"{slug}'s copy of lyon's log is not at its head"
    return {
        "engine": engine,
        "entries_applied": applied,
        "sync_s": round(sync_s, 2),
        "entries_per_s": round(applied / sync_s),
        "command_wall_s": round(wall_s, 2),
        "output": match.group(0),
        "cards": cards,
    }


@contextmanager
def database_urls(engine: str) -> Iterator[Callable[[str], str]]:
    """Each node's database URL on `engine` ('' is SQLite in its home)."""
    if engine == "sqlite":
        yield lambda _slug: ""
        return
    with postgres_schemas(os.environ[POSTGRES_ENV]) as url:
        yield url


def first_seen(base: Path, changes: int) -> dict[str, Any]:
    """Seconds until B and C (in the line A–B–C) show each of `changes` new members of A.

    The changes are made at random moments of one pull interval, so that they fall at
    random phases of the peers' pull schedules, and are watched together.
    """
    print(f"[line] first-seen delay of {changes} changes, default settings", flush=True)
    base.mkdir(parents=True)
    a, b, c = (make_node(base, slug) for slug in ("lyon", "grenoble", "annecy"))
    for node in (a, b, c):
        node.env = node_env(DEFAULTS)
    interval = float(DEFAULTS["ARCHIPEL_FEDERATION__SYNC_INTERVAL"])
    with running([a, b, c]):
        boot([a, b, c], {}, health_timeout=HEALTH)
        peer((a, b), (b, a), (b, c), (c, b))
        # Restarted, each server schedules its new peers at once (instead of at its next
        # housekeeping tick) and announces itself: the line settles in seconds.
        for node in (a, b, c):
            node.stop()
            node.start()
        for node in (a, b, c):
            node.wait_healthy(HEALTH)
        wait_until(lambda: c.head_of("lyon") == a.head_of("lyon"), timeout=90, what="settle")
        rng = random.Random(7)
        moments = sorted(rng.uniform(0, interval) for _ in range(changes))
        words = ["".join(rng.choice("bcdfghjklmnpqrstvxz") for _ in range(9)) for _ in moments]
        made: dict[str, float] = {}
        seen: dict[tuple[str, str], float] = {}
        started = time.monotonic()
        deadline = started + interval * 3
        while len(seen) < 2 * changes and time.monotonic() < deadline:
            for moment, word in zip(moments, words, strict=True):
                if word not in made and time.monotonic() - started >= moment:
                    made[word] = time.monotonic()
                    a.create_member(f"{rng.choice(FIRST)} {word.title()}", city="Lyon")
            for node in (b, c):
                for word in made:
                    if (node.slug, word) not in seen and node.directory(q=word):
                        seen[node.slug, word] = time.monotonic() - made[word]
            time.sleep(0.05)
    missing = [(n, w) for w in words for n in ("grenoble", "annecy") if (n, w) not in seen]
    assert not missing, f"not seen after {interval * 3:.0f} s: {missing}"
    to_b = [seen["grenoble", w] for w in words]
    to_c = [seen["annecy", w] for w in words]
    for i, (db, dc) in enumerate(zip(to_b, to_c, strict=True), 1):
        print(f"[line] change {i}: B after {db:.2f} s, C after {dc:.2f} s", flush=True)
    settings = {k.removeprefix("ARCHIPEL_FEDERATION__").lower(): v for k, v in DEFAULTS.items()}
    return {
        "changes": changes,
        "settings": settings,
        "a_to_b_s": [round(x, 2) for x in to_b],
        "a_to_c_s": [round(x, 2) for x in to_c],
        "median_a_to_b_s": round(statistics.median(to_b), 2),
        "median_a_to_c_s": round(statistics.median(to_c), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="Keep the node homes.")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    if "postgresql" in engines and not os.environ.get(POSTGRES_ENV):
        print(f"PostgreSQL skipped: set {POSTGRES_ENV} to measure it too")
        engines.remove("postgresql")
    base = Path(tempfile.mkdtemp(prefix="archipel-catchup-"))
    started = time.monotonic()
    try:
        results: dict[str, Any] = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
            "python": platform.python_version(),
            # Other work on the machine slows every figure: say how busy it was.
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "catch_up": catch_up(base / "catch-up", args.members, engines),
            "first_seen": first_seen(base / "line", args.changes),
        }
        results["runtime_s"] = round(time.monotonic() - started, 1)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
