"""The benchmark table: each figure on SQLite and PostgreSQL beside its target (Markdown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[float], bool]

ROWS: list[tuple[str, str, str, str, Check | None]] = [
    ("Catch-up sync", "sync_entries_per_s", "entries/s", "", None),
    ("Raw limit (same verification and writes, no HTTP)", "raw_limit_entries_per_s",
     "entries/s", "", None),
    ("ActivityPub-style baseline", "baseline_entries_per_s", "entries/s", "", None),
    ("Sync / raw limit", "sync_vs_raw_limit", "", "≥ 0.5", lambda v: v >= 0.5),
    ("Sync / baseline", "sync_vs_baseline", "×", "≥ 50", lambda v: v >= 50),
    ("Search p50", "search_p50_ms", "ms", "", None),
    ("Search p95", "search_p95_ms", "ms", "≤ 15", lambda v: v <= 15),
    ("Search p95 beside a pull applying pages", "search_busy_p95_ms", "ms", "", None),
    ("Live fan-out p95 (every node asked)", "fanout_p95_ms", "ms", "", None),
    ("Fan-out p95 / search p95", "search_vs_fanout", "×", "≥ 10", lambda v: v >= 10),
    ("Convergence, push hints", "convergence_push_s", "s", "≤ 1.5", lambda v: v <= 1.5),
    ("Convergence, pull only", "convergence_pull_s", "s", "", None),
    ("Peak RSS, serving node", "rss_mb", "MB", "≤ 120", lambda v: v <= 120),
    ("Annuaire page", "annuaire_render_ms", "ms", "≤ 100", lambda v: v <= 100),
]  # fmt: skip


def _cell(value: Any, unit: str) -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if isinstance(value, float) and value >= 100 else f"{value:,}"
    return f"{text} {unit}".strip()


def _status(values: list[Any], check: Check | None) -> str:
    if check is None:
        return ""
    present = [v for v in values if v is not None]
    if not present:
        return "–"
    return "met" if all(check(v) for v in present) else "**missed**"


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table (SQLite | PostgreSQL | target | status)."""
    pg = results.get("postgresql", {})
    lines = [
        "| Figure | SQLite | PostgreSQL | Target | |",
        "|---|---:|---:|---|---|",
    ]
    for label, key, unit, target, check in ROWS:
        here, there = results.get(key), pg.get(key)
        lines.append(
            f"| {label} | {_cell(here, unit)} | {_cell(there, unit)} | {target} | "
            f"{_status([here, there], check)} |"
        )
    return "\n".join(lines)


def growth_table(results: dict[str, Any]) -> str:
    """Sync rate and search latency at each measured size (SQLite)."""
    rows = ["| Size | Sync entries/s | Search p50 ms | Search p95 ms | Peak RSS MB |",
            "|---:|---:|---:|---:|---:|"]  # fmt: skip
    growth = results.get("growth", {})
    sync = {r["entries"]: r for r in growth.get("sync", [])}
    search = {r["cards"]: r for r in growth.get("search", [])}
    sync[results["sizes"]["sync_entries"]] = {"entries_per_s": results["sync_entries_per_s"]}
    search[results["sizes"]["search_cards"]] = results
    for size in sorted(set(sync) | set(search)):
        s, q = sync.get(size, {}), search.get(size, {})
        rows.append(
            f"| {size:,} | {_cell(s.get('entries_per_s'), '')} | "
            f"{_cell(q.get('search_p50_ms'), '')} | {_cell(q.get('search_p95_ms'), '')} | "
            f"{_cell(q.get('rss_mb'), '')} |"
        )
    return "\n".join(rows)


def network_table(results: dict[str, Any]) -> str:
    """Convergence and fan-out at each measured network size."""
    rows = ["| Nodes | Diameter | Cards per node | Convergence push s | Convergence pull s "
            "| Fan-out p95 ms |", "|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    runs = list(results.get("growth", {}).get("nodes", []))
    runs.append({key: results.get(key) for key in _NETWORK_KEYS})
    for run in sorted(runs, key=lambda r: r.get("nodes") or 0):
        if run.get("nodes") is None:
            continue
        rows.append("| " + " | ".join(_cell(run.get(key), "") for key in _NETWORK_KEYS) + " |")
    return "\n".join(rows)


_NETWORK_KEYS = (
    "nodes",
    "diameter",
    "fanout_cards_per_node",
    "convergence_push_s",
    "convergence_pull_s",
    "fanout_p95_ms",
)


def archipelago_table(archipelago: dict[str, Any]) -> str:
    """What one change costs as the network grows, and a new bureau's catch-up."""
    rows = ["| Bureaus | Peers per bureau (max) | Hops to last (mean) | Messages per change "
            "| Notifies | Page requests | kB per change | Bytes per notify | Pull ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in archipelago.get("networks", []):
        rows.append(
            f"| {r['bureaus']} | {r['peers_per_bureau']} ({r['peers_max']}) | "
            f"{r['hops_to_last']} ({r['mean_hops']}) | {r['messages']:.0f} | {r['notifies']:.0f} "
            f"| {r['page_requests']:.0f} | {r['bytes'] / 1e3:,.0f} | {r['bytes_per_notify']:,.0f} "
            f"| {r['pull_ms_mean']} |"
        )
    rows += ["", "| New bureau catches up with | Entries | Seconds | Entries/s | Replica MB "
             "| Bytes per member |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for c in archipelago.get("catch_up", []):
        rows.append(
            f"| {c['bureaus']} × 200 members | {c['entries']:,} | {c['seconds']} | "
            f"{c['entries_per_s']:,.0f} | {c['replica_mb']} | {c['bytes_per_member']:,} |"
        )
    return "\n".join(rows)
