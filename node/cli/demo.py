"""`archipel demo`: three peered bureaus (Lyon, Marseille, Lille) on loopback, with sample data.

Each bureau is a real `archipel serve` process with its own home and SQLite database under a
demo folder; they are peered before they start (each admin's confirmation done through the
federation facade), so they sync at once. Ctrl-C stops them all.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer

from federation.service import identity_fingerprint
from node.actors import SYSTEM
from node.db import make_engine
from node.federated import wire
from node.services import accounts, members, organisations, productions, resources, tourdates
from node.services.setup import init_node
from schemas.members import MemberCreate
from schemas.organisations import OrganisationCreate
from schemas.productions import ProductionCreate, TeamEntry
from schemas.resources import ResourceCreate
from schemas.tourdates import TourDateCreate

DEMO_PASSWORD = "archipel-demo"
BUREAUS = (
    ("lyon", "Bureau de Lyon", "Auvergne-Rhône-Alpes", "Lyon"),
    ("marseille", "Bureau de Marseille", "Provence-Alpes-Côte d'Azur", "Marseille"),
    ("lille", "Bureau de Lille", "Hauts-de-France", "Lille"),
)
# name, trades, skills, languages, visibility
PEOPLE = {
    "lyon": [
        ("Léa Martin", ["Régie son"], ["console numérique", "façade", "retours"], "public"),
        ("Karim Haddad", ["Régie lumière"], ["grandMA3", "DMX", "accroche"], "network"),
        ("Camille Roche", ["Comédienne"], ["clown", "masque", "chant"], "network"),
        ("Hugo Vidal", ["Chargé de diffusion"], ["réseau scènes nationales"], "network"),
        ("Sophie Lambert", ["Administratrice de production"], ["paie", "contrats"], "local"),
    ],
    "marseille": [
        ("Nadia Bensaïd", ["Régie son"], ["Yamaha CL5", "sonorisation plein air"], "network"),
        ("Julien Ferrand", ["Régie générale"], ["plateau", "cintres", "sécurité"], "network"),
        ("Inès Moretti", ["Danseuse", "Chorégraphe"], ["danse contemporaine", "hip-hop"], "public"),
        ("Thomas Aubert", ["Chargé de production"], ["tournées", "budgets"], "network"),
    ],
    "lille": [
        ("Élodie Lefebvre", ["Régisseuse son"], ["enregistrement", "Dante"], "network"),
        ("Maxime Dubois", ["Constructeur de décors"], ["soudure", "menuiserie"], "network"),
        (
            "Chloé Vandamme",
            ["Marionnettiste"],
            ["marionnettes géantes", "arts de la rue"],
            "public",
        ),
        ("Antoine Lemaire", ["Régie lumière"], ["LED", "vidéo-projection"], "network"),
    ],
}
VENUES = (
    ("Théâtre de la Croix-Rousse", "Lyon"),
    ("Théâtre du Merlan", "Marseille"),
    ("Le Prato", "Lille"),
)
RESOURCES = {
    "lyon": [("Console Midas M32", "equipment", "Entrepôt de Vaise", True)],
    "marseille": [
        ("Camion 20 m³", "vehicle", "Parking de la Belle de Mai", True),
        ("Kit sonorisation plein air", "equipment", "La Friche", True),
    ],
    "lille": [
        ("Salle de répétition Wazemmes", "room", "Wazemmes, Lille", True),
        ("Console Yamaha CL5", "equipment", "Fives", True),
    ],
}
PRODUCTIONS = {
    "lyon": ("Les Étoiles filantes", "theatre", "Une troupe en tournée dans les villages."),
    "marseille": ("Mistral", "danse", "Six danseurs face au vent du Rhône."),
    "lille": ("Les Géants du Nord", "arts-de-la-rue", "Une parade de marionnettes géantes."),
}


@dataclass(frozen=True)
class DemoBureau:
    """One bureau of the demo: where it lives and where it answers."""

    slug: str
    name: str
    home: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _seed(bureau: DemoBureau, city: str) -> None:
    """The bureau's sample data, written through its services so the federation log has it."""
    from node.settings import load_settings

    settings = load_settings(bureau.home)
    engine = make_engine(settings.database_url)
    try:
        wiring = wire(settings, engine)
        wiring.federation.ensure_genesis()
        soon = datetime.now(UTC).replace(hour=18, minute=30, second=0, microsecond=0)
        with wiring.sessions() as db, db.begin():
            team = []
            for name, trades, skills, visibility in PEOPLE[bureau.slug]:
                member = members.create_member(
                    db,
                    actor=SYSTEM,
                    data=MemberCreate(
                        display_name=name,
                        city=city,
                        territory=settings.node.territory,
                        trades=trades,
                        skills=skills,
                        languages=["fr", "en"],
                        visibility=visibility,
                        availability=[
                            {"start": soon.date(), "end": soon.date() + timedelta(days=90)}
                        ],
                        email=f"{name.split()[0].lower()}@example.org",
                    ),
                )
                team.append(TeamEntry(member_id=member.id, role=trades[0]))
            venues = [
                organisations.create_organisation(
                    db,
                    actor=SYSTEM,
                    data=OrganisationCreate(
                        name=venue,
                        city=venue_city,
                        kind="theatre",
                        is_venue=True,
                        technical_specs="Plateau 10 × 8 m, grill à 7 m.",
                    ),
                )
                for venue, venue_city in VENUES
            ]
            title, discipline, synopsis = PRODUCTIONS[bureau.slug]
            show = productions.create_production(
                db,
                actor=SYSTEM,
                data=ProductionCreate(
                    title=title,
                    discipline=discipline,
                    synopsis=synopsis,
                    artistic_lead=PEOPLE[bureau.slug][2][0],
                    visibility="public",
                    team=team[:3],
                ),
            )
            # Lyon's show crosses the three territories; the others play at home.
            stops = venues if bureau.slug == "lyon" else [v for v in venues if v.city == city]
            for index, venue in enumerate(stops):
                tourdates.create_tour_date(
                    db,
                    actor=SYSTEM,
                    data=TourDateCreate(
                        production_id=show.id,
                        starts_at=soon + timedelta(days=2 + 3 * index),
                        venue_id=venue.id,
                        status="confirmed",
                    ),
                )
            for name, kind, location, lendable in RESOURCES[bureau.slug]:
                resources.create_resource(
                    db,
                    actor=SYSTEM,
                    data=ResourceCreate(
                        name=name,
                        kind=kind,
                        location=location,
                        lendable=lendable,
                        description="Disponible en prêt entre bureaux.",
                    ),
                )
            account = accounts.authenticate(db, username="admin", password=_initial(bureau))
            accounts.change_password(
                db, account_id=account.id, current=_initial(bureau), new=DEMO_PASSWORD
            )
        wiring.federation.stop()
    finally:
        engine.dispose()


def _initial(bureau: DemoBureau) -> str:
    text = (bureau.home / "admin-credentials.txt").read_text(encoding="utf-8")
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("password"))


def _peer_all(bureaus: Sequence[DemoBureau]) -> None:
    """Every pair peered both ways, each side pinning the other's fingerprint."""
    from node.settings import load_settings

    wirings = {}
    engines = []
    for bureau in bureaus:
        settings = load_settings(bureau.home)
        engine = make_engine(settings.database_url)
        engines.append(engine)
        wirings[bureau.slug] = wire(settings, engine)
    try:
        for a, b in itertools.permutations(bureaus, 2):
            identity = wirings[b.slug].federation.identity_document()
            federation = wirings[a.slug].federation
            with wirings[a.slug].sessions() as db, db.begin():
                federation.accept_peer(db, identity, identity_fingerprint(identity))
    finally:
        for wiring in wirings.values():
            wiring.federation.stop()
        for engine in engines:
            engine.dispose()


def prepare(root: Path, *, base_port: int, slugs: Sequence[str] = ()) -> list[DemoBureau]:
    """Create, seed and peer the demo bureaus under `root` (a fresh folder)."""
    chosen = [b for b in BUREAUS if not slugs or b[0] in slugs]
    bureaus = []
    for offset, (slug, name, territory, city) in enumerate(chosen):
        bureau = DemoBureau(slug, name, root / slug, base_port + offset)
        init_node(bureau.home, slug=slug, name=name, territory=territory, url=bureau.url)
        _seed(bureau, city)
        bureaus.append(bureau)
    _peer_all(bureaus)
    return bureaus


def start(bureau: DemoBureau, *, sync_interval: float = 5.0) -> subprocess.Popen[bytes]:
    """Run `archipel serve` for the bureau, quietly, in its own process group."""
    env = {**os.environ, "ARCHIPEL_FEDERATION__SYNC_INTERVAL": str(sync_interval)}
    command = [
        sys.executable,
        "-c",
        "from node.cli import main; main()",
        "--home",
        str(bureau.home),
        "serve",
        "--port",
        str(bureau.port),
    ]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_ready(bureau: DemoBureau, *, timeout: float = 30.0) -> None:
    """Wait until the bureau answers `/ready`; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{bureau.url}/ready", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{bureau.slug} did not become ready on {bureau.url}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop one node process (its whole group), politely first."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def demo(
    port: Annotated[int, typer.Option(help="Port of the first bureau; the others follow.")] = 8101,
    folder: Annotated[
        Path | None, typer.Option(help="Where the bureaus live; default a temporary folder.")
    ] = None,
) -> None:
    """Start three peered demo bureaus (Lyon, Marseille, Lille) with French sample data."""
    root = folder or Path(tempfile.mkdtemp(prefix="archipel-demo-"))
    if folder is not None and folder.exists() and any(folder.iterdir()):
        typer.echo(f"error: {folder} is not empty; choose an empty or new folder", err=True)
        raise typer.Exit(2)
    typer.echo("Préparation des trois bureaux de démonstration…")
    bureaus = prepare(root, base_port=port)
    processes = [start(b) for b in bureaus]
    try:
        for bureau in bureaus:
            wait_ready(bureau)
        typer.echo("")
        for bureau in bureaus:
            typer.echo(
                f"  {bureau.name:<22} {bureau.url}   identifiant : admin   "
                f"mot de passe : {DEMO_PASSWORD}"
            )
        typer.echo("")
        typer.echo("Ouvrez une adresse dans votre navigateur. Ctrl-C arrête les trois bureaux.")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        typer.echo("error: a bureau stopped unexpectedly", err=True)
    except KeyboardInterrupt:
        typer.echo("\nArrêt des bureaux…")
    finally:
        for process in processes:
            stop(process)
        if folder is None:
            shutil.rmtree(root, ignore_errors=True)
