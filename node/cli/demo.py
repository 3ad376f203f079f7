"""`archipel demo`: three peered bureaus (Lyon, Marseille, Lille) on loopback, with sample data.

Each bureau is a real `archipel serve` process with its own home and SQLite database under a
demo folder; they are peered before they start (each admin's confirmation done through the
federation facade), so they sync at once. Ctrl-C, SIGTERM or SIGHUP stops them all and
removes the temporary folder; they never outlive the demo (see `supervisor`).
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from federation.service import identity_fingerprint
from node.actors import SYSTEM
from node.cli import supervisor
from node.cli.supervisor import BureauStopped, DemoBureau, start, stop, wait_ready
from node.db import make_engine
from node.federated import wire
from node.services import accounts, members, organisations, productions, resources, tourdates
from node.services.setup import init_node
from schemas.members import MemberCreate
from schemas.organisations import OrganisationCreate
from schemas.productions import ProductionCreate, TeamEntry
from schemas.resources import ResourceCreate
from schemas.tourdates import TourDateCreate

__all__ = ["DEMO_PASSWORD", "DemoBureau", "demo", "prepare", "start", "stop", "wait_ready"]

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


def _say(text: str, *, err: bool = False) -> None:
    """Print a line, unless the terminal is gone (after SIGHUP, writing to it fails)."""
    with contextlib.suppress(OSError):
        typer.echo(text, err=err)


def _fail(message: str) -> NoReturn:
    _say(f"erreur : {message}", err=True)
    raise typer.Exit(2)


def _show_log(bureau: DemoBureau) -> None:
    lines = supervisor.log_tail(bureau.log)
    if not lines:
        _say("Son journal est vide.", err=True)
        return
    _say("Fin de son journal :", err=True)
    for line in lines:
        _say(f"  {line}", err=True)


def _check_ports(port: int) -> None:
    """Refuse at once, naming the port, when one the bureaus need is taken."""
    ports = range(port, port + len(BUREAUS))
    taken = next((p for p in ports if supervisor.port_taken(p)), None)
    if taken is None:
        return
    other = supervisor.free_block(len(BUREAUS), after=port)
    instead = f"--port {other}" if other is not None else "--port suivi d'un port libre"
    _fail(
        f"le port {taken} est déjà utilisé : arrêtez l'autre démonstration "
        f"ou lancez-la avec {instead}"
    )


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        _fail(f"{folder} n'est pas un dossier")
    if folder.exists() and any(folder.iterdir()):
        _fail(f"le dossier {folder} n'est pas vide : choisissez un dossier vide ou nouveau")


def _run(bureaus: Sequence[DemoBureau], processes: list[subprocess.Popen[bytes]]) -> None:
    """Start the bureaus, print where they answer, then watch them: BureauStopped when one
    stops (a stop signal, `supervisor.Stopped`, is the only other way out)."""
    for bureau in bureaus:
        processes.append(start(bureau))
    for bureau, process in zip(bureaus, processes, strict=True):
        wait_ready(bureau, process=process)
    _say("")
    for bureau in bureaus:
        _say(
            f"  {bureau.name:<22} {bureau.url}   identifiant : admin   "
            f"mot de passe : {DEMO_PASSWORD}"
        )
    _say("")
    _say("Ouvrez une adresse dans votre navigateur. Ctrl-C arrête les trois bureaux.")
    while True:
        for bureau, process in zip(bureaus, processes, strict=True):
            if process.poll() is not None:
                raise BureauStopped(bureau, process)
        time.sleep(0.5)


def demo(
    port: Annotated[
        int,
        typer.Option(
            min=1,
            max=65536 - len(BUREAUS),
            help="Port of the first bureau; the others follow.",
        ),
    ] = 8101,
    folder: Annotated[
        Path | None, typer.Option(help="Where the bureaus live; default a temporary folder.")
    ] = None,
) -> None:
    """Start three peered demo bureaus (Lyon, Marseille, Lille) with French sample data.

    Ctrl-C, SIGTERM or SIGHUP stops them and removes the temporary folder.
    """
    if folder is not None:
        _check_folder(folder)
    _check_ports(port)
    processes: list[subprocess.Popen[bytes]] = []
    outcome: Exception | None = None
    root = folder or Path(tempfile.mkdtemp(prefix="archipel-demo-"))
    with supervisor.stop_signals() as hold:
        try:
            _say(f"Préparation des trois bureaux de démonstration dans {root}…")
            _run(prepare(root, base_port=port), processes)
        except (supervisor.Stopped, BureauStopped, supervisor.NotReady) as exc:
            outcome = exc
        finally:
            hold()
            report(outcome)
            supervisor.stop_all(processes)
            if folder is None:
                shutil.rmtree(root, ignore_errors=True)
    if folder is None:
        _say(f"Bureaux arrêtés ; le dossier {root} est supprimé.")
    else:
        _say(f"Bureaux arrêtés ; leurs données restent dans {root}.")
    raise typer.Exit(0 if outcome is None or isinstance(outcome, supervisor.Stopped) else 2)


def report(outcome: Exception | None) -> None:
    """Say why the demo ends, before its bureaus stop and their logs go."""
    if isinstance(outcome, supervisor.Stopped):
        _say("\nArrêt des bureaux…")
    elif isinstance(outcome, BureauStopped):
        bureau, process = outcome.bureau, outcome.process
        _say(
            f"erreur : le {bureau.name} (port {bureau.port}) s'est arrêté de façon inattendue "
            f"({supervisor.ended(process)}) ; arrêt des autres bureaux.",
            err=True,
        )
        _show_log(bureau)
    elif isinstance(outcome, supervisor.NotReady):
        late = outcome.bureau
        _say(
            f"erreur : le {late.name} ne répond pas sur {late.url} après {outcome.waited:.0f} s ; "
            "arrêt des bureaux.",
            err=True,
        )
        _show_log(late)
