"""`make bench` and `make bench-quick`: run the benchmarks, write bench/results.json, print it."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import archipelago, baseline, network, search, sync
from bench.nodes import postgres_schemas
from bench.report import archipelago_table, growth_table, network_table, table

RESULTS = Path(__file__).resolve().parent / "results.json"
SIZES: dict[str, dict[str, Any]] = {
    "quick": {
        "sync_entries": 10_000,  # ten whole pages: the quick rate times nine of them
        "baseline_entries": 200,
        "search_cards": 5_000,
        "annuaire_cards": 5_000,
        "nodes": 6,
        "fanout_cards_per_node": 200,
        "queries": 60,
        "busy_entries": 3_000,
        "fanout_queries": 10,
        "convergence_repeats": 1,
        "growth_sync": [],
        "growth_search": [],
        "growth_nodes": [],
        "archipelago_bureaus": [20, 50],
        "archipelago_changes": 2,
        "archipelago_catch_up": [20],
    },
    "full": {
        "sync_entries": 100_000,
        "baseline_entries": 2_000,
        "search_cards": 100_000,
        "annuaire_cards": 10_000,
        "nodes": 20,
        "fanout_cards_per_node": 5_000,
        "queries": 300,
        "busy_entries": 50_000,
        "fanout_queries": 100,
        "convergence_repeats": 5,
        "growth_sync": [10_000, 30_000],
        "growth_search": [10_000, 30_000],
        "growth_nodes": [5, 10],
        "growth_cards_per_node": 1_000,
        "archipelago_bureaus": [20, 100, 500],
        "archipelago_changes": 2,
        "archipelago_catch_up": [100, 500],
    },
}


def engine_run(
    root: Path, sizes: dict[str, Any], db_url: Callable[[str], str] | None, log: Callable[..., None]
) -> dict[str, Any]:
    """Sync, raw limit, baseline and search on one database engine."""
    out: dict[str, Any] = {}
    n = sizes["sync_entries"]
    log(f"catch-up sync of {n:,} entries between two serving nodes")
    caught = sync.catch_up(root / "sync", n, db_url=db_url)
    log(f"  {caught['entries_per_s']:,.0f} entries/s; raw limit (same pages, in-process)")
    raw = sync.raw_limit(root / "raw", n, db_url=db_url)
    log(f"  {raw['entries_per_s']:,.0f} entries/s; ActivityPub-style baseline")
    base = baseline.deliver(root / "baseline", sizes["baseline_entries"], db_url=db_url)
    log(f"  {base['entries_per_s']:,.0f} entries/s")
    out["sync_entries_per_s"] = caught["entries_per_s"]
    out["raw_limit_entries_per_s"] = raw["entries_per_s"]
    out["baseline_entries_per_s"] = base["entries_per_s"]
    out["sync_vs_raw_limit"] = round(caught["entries_per_s"] / raw["entries_per_s"], 3)
    out["sync_vs_baseline"] = round(caught["entries_per_s"] / base["entries_per_s"], 1)
    total = sizes["search_cards"]
    log(f"search: loading {total:,} cards of 20 origins through PageApplier")
    node, rate = search.load(root / "search", total, db_url=db_url)
    out["search_load_entries_per_s"] = round(rate, 1)
    out["regie_son_matches"] = search.count_matches(node, "régie son")
    log(f"  {rate:,.0f} entries/s; 'régie son' matches {out['regie_son_matches']:,} cards")
    annuaire = sizes["annuaire_cards"] == total
    out |= search.measure(
        root / "search",
        node,
        queries=sizes["queries"],
        annuaire=annuaire,
        busy_entries=sizes["busy_entries"],
    )
    if not annuaire:
        log(f"annuaire page over {sizes['annuaire_cards']:,} cards")
        small, _ = search.load(root / "annuaire", sizes["annuaire_cards"], db_url=db_url)
        page = search.measure(root / "annuaire", small, queries=20, annuaire=True)
        out["annuaire_render_ms"] = page["annuaire_render_ms"]
        out["annuaire_render_p95_ms"] = page["annuaire_render_p95_ms"]
    out["annuaire_cards"] = sizes["annuaire_cards"]
    log(f"  search p50 {out['search_p50_ms']} ms, p95 {out['search_p95_ms']} ms")
    log(f"  beside a pull: p50 {out['search_busy_p50_ms']} ms, p95 {out['search_busy_p95_ms']} ms")
    return out


def growth(root: Path, sizes: dict[str, Any], log: Callable[..., None]) -> dict[str, Any]:
    """Sync rate, search latency, convergence and fan-out at smaller sizes (SQLite), to see
    how each cost grows with entries, cards and nodes."""
    rows: dict[str, Any] = {"sync": [], "search": [], "nodes": []}
    for n in sizes["growth_sync"]:
        log(f"growth: catch-up sync of {n:,} entries")
        rows["sync"].append(sync.catch_up(root / f"g-sync-{n}", n))
    for n in sizes["growth_search"]:
        log(f"growth: search over {n:,} cards")
        node, rate = search.load(root / f"g-search-{n}", n)
        measured = search.measure(root / f"g-search-{n}", node, queries=sizes["queries"])
        rows["search"].append({"cards": n, "load_entries_per_s": round(rate, 1), **measured})
    for n in sizes["growth_nodes"]:
        log(f"growth: {n} nodes, convergence and fan-out")
        rows["nodes"].append(
            network.run(
                root / f"g-net-{n}",
                nodes=n,
                cards_per_node=sizes["growth_cards_per_node"],
                queries=sizes["fanout_queries"],
                repeats=sizes["convergence_repeats"],
            )
        )
    return rows


def machine() -> dict[str, Any]:
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit + ("+dirty" if dirty else ""),
        "python": sys.version.split()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Small sizes (under 2 minutes).")
    parser.add_argument("--no-postgres", action="store_true", help="Skip the PostgreSQL run.")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    sizes = SIZES[mode]
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", flush=True)

    results: dict[str, Any] = {"mode": mode, "sizes": sizes, **machine()}
    pg = os.environ.get("ARCHIPEL_TEST_POSTGRES_URL") or os.environ.get("ARCHIPEL_BENCH_PG_URL")
    with tempfile.TemporaryDirectory(prefix="archipel-bench-") as tmp:
        root = Path(tmp)
        log("SQLite")
        results |= engine_run(root / "sqlite", sizes, None, log)
        log(f"{sizes['nodes']} nodes: convergence (push, then pull only) and live fan-out")
        results |= network.run(
            root / "net",
            nodes=sizes["nodes"],
            cards_per_node=sizes["fanout_cards_per_node"],
            queries=sizes["fanout_queries"],
            repeats=sizes["convergence_repeats"],
        )
        results["search_vs_fanout"] = round(results["fanout_p95_ms"] / results["search_p95_ms"], 1)
        if pg and not args.no_postgres:
            log("PostgreSQL")
            with postgres_schemas(pg) as make:
                results["postgresql"] = engine_run(root / "pg", sizes, make, log)
            results["postgresql"]["search_vs_fanout"] = round(
                results["fanout_p95_ms"] / results["postgresql"]["search_p95_ms"], 1
            )
            for key in ("fanout_p95_ms", "convergence_push_s", "convergence_pull_s"):
                results["postgresql"][key] = results[key]  # one network run, SQLite homes
        else:
            log("PostgreSQL skipped (set ARCHIPEL_TEST_POSTGRES_URL to include it)")
        if sizes["growth_sync"] or sizes["growth_search"] or sizes["growth_nodes"]:
            results["growth"] = growth(root / "growth", sizes, log)
        log("the network at the scale of a country (in-process bureaus)")
        results["archipelago"] = archipelago.run(
            sizes["archipelago_bureaus"],
            changes=sizes["archipelago_changes"],
            catch_up_bureaus=sizes["archipelago_catch_up"],
            log=log,
        )
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    for stuck in results.get("convergence_timeouts", []):
        print(f"convergence timed out: {stuck['node']} never saw change {stuck['change']!r}")
    if "growth" in results:
        print()
        print(growth_table(results))
        print()
        print(network_table(results))
    print()
    print(archipelago_table(results["archipelago"]))
    log(f"results written to {args.output}")


if __name__ == "__main__":
    main()
