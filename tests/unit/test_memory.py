"""The long-running commands limit glibc's malloc arenas (RSS), unless the operator chose,
and leave start-up's objects out of later garbage collections."""

from __future__ import annotations

import ctypes.util
import gc
import platform
import weakref

import pytest

from bot.runtime.memory import fewer_malloc_arenas, freeze_startup_objects


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="mallopt's arena limit is glibc's",
)
def test_glibc_takes_the_arena_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert ctypes.util.find_library("c")
    assert fewer_malloc_arenas() is True


def test_an_operators_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert fewer_malloc_arenas() is False


def test_start_up_objects_are_frozen_and_later_garbage_is_still_collected() -> None:
    class Node:
        me: object

    try:
        frozen = freeze_startup_objects()
        assert frozen > 10_000  # the interpreter, pytest and seatbot's modules
        assert gc.get_freeze_count() > 10_000  # fewer as frozen objects are freed, never collected
        made_later = Node()
        made_later.me = made_later  # a cycle: only the collector frees it
        gone = weakref.ref(made_later)
        del made_later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()  # the rest of the suite collects as before
