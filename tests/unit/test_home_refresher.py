"""App Home redraws are coalesced per person and always end on the latest change."""

from __future__ import annotations

import threading

from bot.runtime.home_refresher import HomeRefresher


class Drawing:
    """A publish that records who was drawn, and can hold the first draw until released."""

    def __init__(self, *, hold_first: bool = False) -> None:
        self.drawn: list[tuple[str, str]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.idle = threading.Condition()
        if not hold_first:
            self.release.set()

    def __call__(self, team_id: str, user_id: str) -> None:
        self.started.set()
        self.release.wait(10)
        with self.idle:
            self.drawn.append((team_id, user_id))
            self.idle.notify_all()

    def wait_for(self, count: int) -> list[tuple[str, str]]:
        with self.idle:
            assert self.idle.wait_for(lambda: len(self.drawn) >= count, timeout=10), self.drawn
            return list(self.drawn)


def test_a_burst_of_changes_draws_a_home_twice_the_last_time_after_the_last_change() -> None:
    drawing = Drawing(hold_first=True)
    homes = HomeRefresher(drawing, spacing=0.0)
    try:
        homes.refresh(team_id="T1", user_ids=["U1"])
        assert drawing.started.wait(10)
        for _ in range(50):  # while the first draw is under way
            homes.refresh(team_id="T1", user_ids=["U1"])
        drawing.release.set()
        assert drawing.wait_for(2) == [("T1", "U1"), ("T1", "U1")]
    finally:
        homes.close()
    assert drawing.drawn == [("T1", "U1"), ("T1", "U1")]  # 51 changes, two draws


def test_every_person_concerned_is_drawn_once_per_change() -> None:
    drawing = Drawing()
    homes = HomeRefresher(drawing, spacing=0.0)
    try:
        homes.refresh(team_id="T1", user_ids=["U1", "U2", "U1"])
        assert sorted(drawing.wait_for(2)) == [("T1", "U1"), ("T1", "U2")]
    finally:
        homes.close()
    assert len(drawing.drawn) == 2


def test_a_person_drawn_a_moment_ago_waits_for_the_spacing() -> None:
    drawing = Drawing()
    homes = HomeRefresher(drawing, spacing=3600.0)
    try:
        homes.refresh(team_id="T1", user_ids=["U1"])
        drawing.wait_for(1)
        homes.refresh(team_id="T1", user_ids=["U1"])  # due in an hour
        homes.refresh(team_id="T1", user_ids=["U2"])  # someone else: at once
        assert drawing.wait_for(2)[-1] == ("T1", "U2")
    finally:
        homes.close()
    assert drawing.drawn == [("T1", "U1"), ("T1", "U2")]


def test_nothing_is_drawn_after_close() -> None:
    drawing = Drawing()
    homes = HomeRefresher(drawing, spacing=0.0)
    homes.close()
    homes.refresh(team_id="T1", user_ids=["U1"])
    assert drawing.drawn == []


class Worth:
    """Who is worth drawing (those who opened their home), and every question asked."""

    def __init__(self, opened: set[str]) -> None:
        self.opened = opened
        self.asked: list[tuple[str, list[str]]] = []

    def __call__(self, team_id: str, user_ids: list[str]) -> set[str]:
        self.asked.append((team_id, sorted(user_ids)))
        return self.opened & set(user_ids)


def test_only_people_worth_drawing_are_drawn_and_a_burst_is_asked_about_once() -> None:
    drawing, worth = Drawing(), Worth({"U2", "U9"})
    homes = HomeRefresher(drawing, worth=worth, spacing=0.0, gather=2.0)
    try:
        homes.refresh(team_id="T1", user_ids=["U1", "U2"])  # a request: its requester, an approver
        homes.refresh(team_id="T1", user_ids=["U3", "U2"])  # another, a moment later
        homes.refresh(team_id="T2", user_ids=["U9"])
        assert sorted(drawing.wait_for(2)) == [("T1", "U2"), ("T2", "U9")]
    finally:
        homes.close()
    assert sorted(worth.asked) == [("T1", ["U1", "U2", "U3"]), ("T2", ["U9"])]
    assert len(drawing.drawn) == 2


def test_a_failed_question_skips_that_round_and_the_next_change_draws_again() -> None:
    drawing, failed = Drawing(), threading.Event()
    answers: list[Exception | set[str]] = [RuntimeError("database away"), {"U1"}]

    def worth(_team_id: str, _user_ids: list[str]) -> set[str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            failed.set()
            raise answer
        return answer

    homes = HomeRefresher(drawing, worth=worth, spacing=0.0, gather=0.0)
    try:
        homes.refresh(team_id="T1", user_ids=["U1"])
        assert failed.wait(10)  # that round draws nothing, and the refresher goes on
        homes.refresh(team_id="T1", user_ids=["U1"])
        assert drawing.wait_for(1) == [("T1", "U1")]
    finally:
        homes.close()
    assert answers == []
