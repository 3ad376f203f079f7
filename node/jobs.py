"""The node's own background work, run by the process that leads federation's scheduler.

Like federation's loop, each job is a database-backed step that returns quickly when it
has nothing to do: `run_once()` is what tests call, and APScheduler only ticks it. Every
process of a node that starts its jobs ticks them, and only the one holding federation's
leadership (its advisory lock or lease row) runs them, so a webhook event is posted by one
process, never by every worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

JOB_PREFIX = "node-"


@dataclass(frozen=True)
class Job:
    """A step of the node's background work, and how often it runs."""

    name: str
    seconds: float
    run: Callable[[], None]


class NodeJobs:
    """Ticks the node's jobs in their own threads while this process leads."""

    def __init__(self, jobs: list[Job], *, leading: Callable[[], bool]) -> None:
        self.jobs = list(jobs)
        self._leading = leading
        self._aps: BackgroundScheduler | None = None

    def run_once(self) -> None:
        """Run every job once, here and now (a failing one does not stop the others)."""
        for job in self.jobs:
            self._run(job)

    def start(self) -> None:
        """Tick each job in its own APScheduler job: a slow one (a webhook that hangs) never
        delays another."""
        if self._aps is not None:
            return
        aps = BackgroundScheduler(timezone=UTC)
        for job in self.jobs:
            aps.add_job(
                self._tick,
                "interval",
                args=[job],
                seconds=job.seconds,
                id=f"{JOB_PREFIX}{job.name}",
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )
        self._aps = aps
        aps.start()

    def stop(self) -> None:
        """Stop ticking; a job in flight finishes first."""
        aps, self._aps = self._aps, None
        if aps is not None and aps.running:
            aps.shutdown(wait=True)

    def _tick(self, job: Job) -> None:
        if self._leading():
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            job.run()
        except Exception:  # one job's failure must not stop the others, nor the next tick
            log.warning("the node's job %r failed", job.name, exc_info=True)
