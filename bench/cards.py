"""Realistic, reproducible directory cards for the benchmarks: 20 bureaus, shared trades."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from schemas import shared


@dataclass(frozen=True)
class Bureau:
    """One origin of the benchmark archipelago: slug, territory and the cities it covers."""

    slug: str
    territory: str
    cities: tuple[str, ...]


BUREAUS = (
    Bureau("lyon", "Auvergne-Rhône-Alpes", ("Lyon", "Villeurbanne", "Vénissieux")),
    Bureau("grenoble", "Auvergne-Rhône-Alpes", ("Grenoble", "Échirolles")),
    Bureau("clermont", "Auvergne-Rhône-Alpes", ("Clermont-Ferrand", "Riom")),
    Bureau("marseille", "Provence-Alpes-Côte d'Azur", ("Marseille", "Aubagne", "Aix")),
    Bureau("nice", "Provence-Alpes-Côte d'Azur", ("Nice", "Antibes", "Cannes")),
    Bureau("montpellier", "Occitanie", ("Montpellier", "Sète", "Nîmes")),
    Bureau("toulouse", "Occitanie", ("Toulouse", "Albi", "Blagnac")),
    Bureau("bordeaux", "Nouvelle-Aquitaine", ("Bordeaux", "Pessac", "Mérignac")),
    Bureau("limoges", "Nouvelle-Aquitaine", ("Limoges", "Brive")),
    Bureau("nantes", "Pays de la Loire", ("Nantes", "Saint-Nazaire", "Rezé")),
    Bureau("rennes", "Bretagne", ("Rennes", "Saint-Malo")),
    Bureau("brest", "Bretagne", ("Brest", "Quimper", "Morlaix")),
    Bureau("caen", "Normandie", ("Caen", "Bayeux")),
    Bureau("rouen", "Normandie", ("Rouen", "Le Havre", "Évreux")),
    Bureau("lille", "Hauts-de-France", ("Lille", "Roubaix", "Tourcoing")),
    Bureau("strasbourg", "Grand Est", ("Strasbourg", "Colmar", "Mulhouse")),
    Bureau("metz", "Grand Est", ("Metz", "Nancy", "Thionville")),
    Bureau("dijon", "Bourgogne-Franche-Comté", ("Dijon", "Beaune")),
    Bureau("besancon", "Bourgogne-Franche-Comté", ("Besançon", "Belfort")),
    Bureau("tours", "Centre-Val de Loire", ("Tours", "Orléans", "Blois")),
)

# Weighted like a real cooperative: technicians dominate, so "régie son" matches a third.
TRADES = (
    ("Régie son", 30),
    ("Régisseuse son", 6),
    ("Régie lumière", 16),
    ("Régie générale", 8),
    ("Régie plateau", 7),
    ("Comédienne", 8),
    ("Comédien", 8),
    ("Musicien", 7),
    ("Danseuse", 5),
    ("Chargée de production", 5),
    ("Chargé de diffusion", 3),
    ("Administratrice de production", 3),
    ("Costumière", 2),
    ("Machiniste", 5),
    ("Éclairagiste", 3),
    ("Vidéaste", 2),
    ("Constructeur de décors", 2),
    ("Metteuse en scène", 2),
    ("Circassienne", 2),
    ("Marionnettiste", 1),
)
SKILLS = (
    "Console Yamaha CL5",
    "Console DiGiCo SD",
    "Sonorisation de plein air",
    "Système line array",
    "Retours ear monitor",
    "GrandMA3",
    "Eos ETC",
    "Projecteurs asservis",
    "Accroche",
    "Travail en hauteur",
    "Habilitation électrique",
    "CACES nacelle",
    "Permis C",
    "Montage de chapiteau",
    "Soudure",
    "Menuiserie",
    "Couture",
    "Régie vidéo",
    "Resolume",
    "QLab",
    "Ableton Live",
    "Chant lyrique",
    "Violoncelle",
    "Danse contemporaine",
    "Acrobatie",
    "Jonglage",
    "Clown",
    "Doublage",
    "Montage de dossiers de subvention",
    "Paie intermittents",
    "Diffusion internationale",
    "Tournées jeune public",
)
LANGUAGES = ("français", "anglais", "espagnol", "allemand", "italien", "arabe", "LSF")
_FIRST_NAMES = (
    "Camille Inès Léa Chloé Manon Sarah Julie Élodie Aurélie Hélène Zoé Noémie Agathe Maëlle "
    "Lucas Hugo Théo Nathan Louis Mathis Antoine Rémi Jérôme Étienne Baptiste Karim Yanis "
    "Jules"
)
FIRST = tuple(_FIRST_NAMES.split())
_LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier "
    "Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin "
    "Muller"
)
LAST = tuple(_LAST_NAMES.split())
BIO = (
    "Intermittente depuis {y} ans, {t} en tournée comme en salle.",
    "{t} ; travaille avec des compagnies de théâtre, de danse et de cirque.",
    "Quinze créations en {y} saisons, festivals et scènes nationales. {t}.",
    "Disponible pour des tournées en France et à l'étranger ; {t}, {s}.",
)
_TRADE_NAMES = [t for t, _ in TRADES]
_TRADE_WEIGHTS = [w for _, w in TRADES]


def card(rng: random.Random, bureau: Bureau, index: int) -> dict[str, Any]:
    """The body of one member's directory card, as a bureau shares it."""
    trades = list(dict.fromkeys(rng.choices(_TRADE_NAMES, _TRADE_WEIGHTS, k=rng.choice((1, 1, 2)))))
    skills = rng.sample(SKILLS, k=rng.randint(1, 4))
    languages = ["français", *rng.sample(LANGUAGES[1:], k=rng.randint(0, 2))]
    start = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
    periods = [
        {
            "start": (start + timedelta(days=60 * k)).isoformat(),
            "end": None
            if k == 2
            else (start + timedelta(days=60 * k + rng.randint(5, 40))).isoformat(),
        }
        for k in range(rng.randint(0, 3))
    ]
    bio = rng.choice(BIO).format(y=rng.randint(2, 25), t=trades[0].lower(), s=skills[0])
    body = shared.DirectoryCard(
        display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        city=rng.choice(bureau.cities),
        territory=bureau.territory,
        trades=trades,
        skills=skills,
        languages=languages,
        bio=bio,
        links=[],
        availability=[shared.AvailabilityPeriod.model_validate(p) for p in periods],
        visibility=rng.choice(("network", "network", "public")),
    )
    return body.model_dump(mode="json")


def cards(bureau: Bureau, count: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """`count` cards of `bureau`, the same ones on every run."""
    rng = random.Random(f"{seed}-{bureau.slug}")
    return [card(rng, bureau, i) for i in range(count)]


def queries(count: int, *, seed: int = 11) -> list[dict[str, str]]:
    """A mixed workload of `/api/directory` queries: full text, skill, territory, availability."""
    rng = random.Random(seed)
    texts = (
        "régie son",
        "regisseuse",
        "lumiere",
        "comedienne",
        "chapiteau",
        "violoncelle",
        "grandma3 lyon",
        "son marseille",
        "production",
        "acrobatie clown",
        "régie",
    )
    shapes: list[dict[str, str]] = []
    for _ in range(count):
        shape = rng.randrange(5)
        if shape == 0:
            shapes.append({"q": rng.choice(texts)})
        elif shape == 1:
            shapes.append({"skill": rng.choice(SKILLS)})
        elif shape == 2:
            shapes.append({"territory": rng.choice(BUREAUS).territory})
        elif shape == 3:
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
            shapes.append({"available_on": day.isoformat(), "trade": "Régie son"})
        else:
            shapes.append({"q": "régie son", "territory": rng.choice(BUREAUS).territory})
    return shapes
