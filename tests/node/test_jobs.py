"""The node's own jobs: run on the scheduler's leader only, one failure stops no other."""

from __future__ import annotations

import threading
import time

from node.jobs import Job, NodeJobs


def test_jobs_run_only_while_this_process_leads() -> None:
    ran = threading.Event()
    leading = threading.Event()
    jobs = NodeJobs([Job("probe", 0.05, ran.set)], leading=leading.is_set)
    jobs.start()
    try:
        time.sleep(0.3)  # several ticks, none leading
        assert not ran.is_set()
        leading.set()
        assert ran.wait(5)
    finally:
        jobs.stop()


def test_a_failing_job_does_not_stop_the_others() -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("the tool is down")

    jobs = NodeJobs(
        [Job("broken", 1, broken), Job("counted", 1, lambda: done.append("counted"))],
        leading=lambda: True,
    )
    jobs.run_once()
    jobs.run_once()
    assert done == ["counted", "counted"]


def test_a_stopped_node_ticks_no_more() -> None:
    calls: list[float] = []
    jobs = NodeJobs(
        [Job("probe", 0.05, lambda: calls.append(time.monotonic()))], leading=lambda: True
    )
    jobs.start()
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    jobs.stop()
    seen = len(calls)
    time.sleep(0.2)
    assert seen >= 1 and len(calls) == seen
