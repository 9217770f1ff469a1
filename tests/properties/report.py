"""Turning a property family's counts into its row of docs/reliability.md, and its verdict."""

from __future__ import annotations

import pytest

from tests.properties.conftest import Family
from tests.reliability import record


def finish(name: str, family: Family, *, generated_from: str) -> None:
    """Record the run, then give the verdict: any 5xx or traceback fails the test;
    invariants were already asserted case by case."""
    crashes = sorted(family.crashes)
    errors = sum(family.server_errors.values())
    slow_acks = [s for s in family.slowest if float(s[1].split("s ", 1)[0].removeprefix("ack=")) >= 3.0]
    record(
        name,
        family.backend,
        tried={"generated cases": family.cases, "from": generated_from},
        held={
            "HTTP answer every time": True,
            "statuses": dict(sorted(family.statuses.items())),
            "invariant checks passed": family.invariant_checks,
            "no 5xx": errors == 0,
            "no traceback logged": not crashes,
        },
        not_held=(
            {
                "5xx answers": errors,
                "cases that logged a traceback": sum(family.crashes.values()),
                "distinct crashes": len(crashes),
                "acks of 3 s or more among the 5 slowest": len(slow_acks),
            }
            if crashes or errors
            else None
        ),
        handler_crashes=[f"{c} - e.g. {family.crash_examples[c]}" for c in crashes]
        + [f"HTTP 5xx x{n} caused by {c}" for c, n in family.server_errors.items()],
    )
    if not crashes and not errors:
        return
    listing = "\n".join(
        f"{family.crashes[c]:5d} x {c}\n        e.g. {family.crash_examples[c]}" for c in crashes
    ) + "".join(f"\n5xx {n:5d} x caused by {c}" for c, n in family.server_errors.items())
    pytest.fail(f"5xx answers or tracebacks:\n{listing}")
