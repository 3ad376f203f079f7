"""Pausing Python's cyclic garbage collector while a log page is built or applied.

A page of 1,000 entries allocates some hundred thousand short-lived containers (bodies,
models, rows, statement parameters), none of them in reference cycles, so every young
collection they trigger finds nothing to free; in a serving process those collections,
and the older ones they set off over a large heap, took a quarter of the time of a page.
Reference counting still frees everything at once; the collector runs again afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, restoring it after.

    Threads may overlap: whichever found the collector on turns it back on when it leaves,
    so it never stays off for longer than the longest block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
