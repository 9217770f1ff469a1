"""Memory for the long-running commands (`serve`, `socket`): fewer malloc arenas, and
the objects of start-up kept out of the garbage collector's way.

glibc gives threads that allocate their own heap arena, up to eight per core, and
each keeps its freed memory: a server with a score of threads grows by tens of MB
that it never gives back. The interpreter runs one thread at a time anyway, so two
arenas cost nothing in speed (measured with the benchmark's submit flow: RSS 127 →
114 MB, the same CPU per request).

Start-up leaves about 120,000 objects that live as long as the process (modules, Bolt,
SQLAlchemy's mappers, compiled templates). Python's full collection walked every one of
them each time it ran, with every thread stopped: about 100 ms under the benchmark's
submit load, once every 200 submissions or so. Frozen once start-up is done, they are
never walked again (a full collection takes about 10 ms); what requests create is
collected as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os

logger = logging.getLogger(__name__)

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's <malloc.h>


def fewer_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Limit glibc's arenas before the threads start; False where that is not glibc's
    to do (musl, macOS) or MALLOC_ARENA_MAX already says how many."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    applied = bool(mallopt(_M_ARENA_MAX, arenas) == 1)
    logger.debug("malloc arenas limited to %s: %s", arenas, applied)
    return applied


def freeze_startup_objects() -> int:
    """Collect start-up's garbage, then keep every object alive now out of later
    collections; returns how many were frozen. Call once, when start-up is done."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("start-up objects left out of garbage collection: %s", frozen)
    return frozen
