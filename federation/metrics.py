"""Prometheus metrics of one federation instance, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class FederationMetrics:
    """The counters and gauges one node exposes about federation traffic."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests_refused = Counter(
            "archipel_federation_requests_refused_total",
            "Incoming federation requests refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.entries_applied = Counter(
            "archipel_federation_entries_applied_total",
            "Log entries received and applied, by origin.",
            ["origin"],
            registry=self.registry,
        )
        self.pages_refused = Counter(
            "archipel_federation_pages_refused_total",
            "Pulled log pages refused by verification, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.origin_lag = Gauge(
            "archipel_federation_origin_lag",
            "Entries an origin's log is known to hold that this node has not applied yet.",
            ["origin"],
            registry=self.registry,
        )

        self.origin_missing_bodies = Gauge(
            "archipel_federation_origin_missing_bodies",
            "Records of an origin held back: their latest entry came without its body.",
            ["origin"],
            registry=self.registry,
        )

    def text(self) -> str:
        """The metrics in the Prometheus text exposition format."""
        return generate_latest(self.registry).decode("utf-8")
