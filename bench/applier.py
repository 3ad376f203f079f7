"""A second process applying pulled pages into a node's database, to search beside it.

Run as `python -m bench.applier --db URL --entries N`: it builds an origin's log of N cards,
prints `ready`, waits for a line on stdin, then applies the log page by page with the
`PageApplier` a pull uses (one transaction per page) and prints what it took, as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench import cards
from bench.logs import origin_log
from federation.apply import PageApplier
from node.db import make_engine, make_sessionmaker
from node.federated import build_registry

PAGE = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--entries", type=int, required=True)
    args = parser.parse_args()
    # A bureau the node does not hold yet: what a new peer's first pull brings.
    bureau = cards.Bureau("vannes", "Bretagne", ("Vannes", "Lorient"))
    log = origin_log(bureau.slug, bureau.territory, cards.cards(bureau, args.entries))
    pages = log.pages(PAGE)
    engine = make_engine(args.db)
    factory = make_sessionmaker(engine)
    applier = PageApplier(own_slug="bench", registry=build_registry())
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    for page in pages:
        with factory() as session, session.begin():
            applier.apply_page(session, page, via_peer=bureau.slug)
    elapsed = time.perf_counter() - started
    engine.dispose()
    print(json.dumps({"entries": len(log.entries), "seconds": round(elapsed, 3)}), flush=True)


if __name__ == "__main__":
    main()
