"""The benchmark's figures as readable tables."""

from __future__ import annotations

from typing import Any

SEATBOT_COLUMNS = [
    ("flow", "flow", 10),
    ("load", "load", 11),
    ("requests", "reqs", 5),
    ("acks_per_s", "acks/s", 7),
    ("ack_p50_ms", "ack p50", 8),
    ("ack_p99_ms", "ack p99", 8),
    ("acks_over_3s", ">3s", 4),
    ("answered", "answered", 8),
    ("answers_per_s", "ans/s", 6),
    ("answer_p50_ms", "ans p50", 8),
    ("answer_p99_ms", "ans p99", 8),
    ("cpu_ms_per_request", "CPU ms", 7),
    ("postgres_cpu_ms_per_request", "PG CPU", 6),
    ("rig_cpu_ms_per_request", "rig CPU", 7),
    ("sql_per_request", "SQL", 6),
    ("refused", "refused", 7),
    ("busy", "busy", 4),
    ("answer_errors", "api err", 7),
    ("failed", "fail", 4),
]
BARE_COLUMNS = [
    ("flow", "flow", 10),
    ("load", "load", 11),
    ("acks_per_s", "bare acks/s", 11),
    ("ack_p50_ms", "bare p50", 8),
    ("ack_p99_ms", "bare p99", 8),
    ("cpu_ms_per_request", "bare CPU", 8),
    ("ratio_acks_per_s", "acks/s ×", 8),
    ("ratio_ack_p50", "p50 ×", 6),
    ("ratio_ack_p99", "p99 ×", 6),
    ("ratio_cpu", "CPU ×", 6),
]


FLOOR_COLUMNS = [
    ("flow", "flow", 10),
    ("load", "load", 11),
    ("answers_per_s", "floor ans/s", 11),
    ("answer_p50_ms", "floor p50", 9),
    ("answer_p99_ms", "floor p99", 9),
    ("answer_errors", "api err", 7),
    ("cpu_ms_per_request", "floor CPU", 9),
    ("ratio_answers_per_s", "ans/s ×", 7),
    ("ratio_answer_p50", "p50 ×", 6),
    ("ratio_answer_p99", "p99 ×", 6),
    ("ratio_cpu", "CPU ×", 6),
]


def _ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def answer_ratios(seatbot: dict[str, Any], floor: dict[str, Any]) -> dict[str, float | None]:
    """seatbot / the bare app that answers with a fixed reply, for the answer figures and CPU."""
    keys = {"answers_per_s": "answers_per_s", "answer_p50": "answer_p50_ms", "answer_p99": "answer_p99_ms"}
    found = {name: _ratio(seatbot.get(key), floor.get(key)) for name, key in keys.items()}
    return {**found, "cpu": _ratio(seatbot.get("cpu_ms_per_request"), floor.get("cpu_ms_per_request"))}


def ratios(seatbot: dict[str, Any], bare: dict[str, Any]) -> dict[str, float | None]:
    """seatbot / bare Bolt that only acks, for the ack figures and CPU."""

    def ratio(key: str) -> float | None:
        return _ratio(seatbot.get(key), bare.get(key))

    return {
        "acks_per_s": ratio("acks_per_s"),
        "ack_p50": ratio("ack_p50_ms"),
        "ack_p99": ratio("ack_p99_ms"),
        "cpu": ratio("cpu_ms_per_request"),
    }


def _cell(value: Any, width: int) -> str:
    if value is None:
        text = "–"
    elif isinstance(value, float):
        text = f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"
    else:
        text = str(value)
    return text.rjust(width)


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str, int]]) -> list[str]:
    lines = ["  ".join(title.rjust(width) for _, title, width in columns)]
    lines.append("  ".join("-" * width for _, _, width in columns))
    for row in rows:
        lines.append("  ".join(_cell(row.get(key), width) for key, _, width in columns))
    return lines


def _against(
    phases: list[dict[str, Any]], baseline: str, ratio: str, columns: list[tuple[str, str, int]]
) -> list[str]:
    """One baseline's figures per phase, with seatbot's ratios to them."""
    rows = [
        {
            **p[baseline],
            "flow": p["flow"],
            "load": p["load"],
            **{f"ratio_{k}": v for k, v in p[ratio].items()},
        }
        for p in phases
    ]
    return _table(rows, columns)


def _replicas(settings: dict[str, Any], what: str = "") -> str:
    """ ", 2 replicas" when seatbot ran as several processes (CPU, SQL and memory are then
    their sums); nothing for one."""
    count = settings.get("replicas", 1)
    if count == 1:
        return ""
    return f" ({what} {count} processes)" if what else f", {count} replicas"


def render(result: dict[str, Any]) -> str:
    env = result["environment"]
    settings = result["settings"]
    out = [
        "",
        f"seatbot benchmark ({result['mode']}) {env['date']}  commit {(env['commit'] or '?')[:10]}"
        f"{' (uncommitted changes)' if env['commit_dirty'] else ''}",
        f"machine: {env['cores']} cores, {env['memory_gb']} GB, Python {env['python']}, "
        f"load average {env['loadavg_start']} → {env.get('loadavg_end', '?')}",
        f"threads {settings['threads']} (seatbot and bare), seatbot workers {settings['workers']}"
        f"{_replicas(settings)}; "
        "times in ms; CPU ms and SQL per request (PG CPU: PostgreSQL's; rig CPU: the load generator "
        "and the Slack stand-in's, on the same cores)",
    ]
    if "slack_calls" in result:
        calls = result["slack_calls"]
        new, kept = calls["connection_per_call"], calls["kept_alive"]
        out += [
            f"calls to Slack over TLS ({calls['calls']} users.info): a connection per call "
            f"{new['cpu_ms_per_call']} ms CPU, {new['wall_ms_per_call']} ms each; kept alive "
            f"{kept['cpu_ms_per_call']} ms CPU, {kept['wall_ms_per_call']} ms each, "
            f"{kept['connections']} connections opened",
        ]
    for run in result["runs"]:
        alerts = run["alerts_check"]
        passes = ", ".join(f"{p['pass']} {p['ms']} ms / {p['sql']} SQL" for p in alerts["passes"])
        out += [
            "",
            f"== {run['database']} ==",
            f"start-up to /healthz: seatbot {run['startup_to_healthz_s']} s, "
            f"bare Bolt {run['bare_startup_to_healthz_s']} s",
            f"seatbot RSS after the load: {run['rss_after_load_mb']} MB{_replicas(settings, 'in all')}; "
            f"idle SQL: {run['idle_sql_per_s']} statements/s",
            f"out-of-licences check ({alerts['products']} products, {alerts['agents']} agents): {passes}",
            "scheduler pass ({due} due of {stored} stored): {handled} handled in {ms} ms, "
            "{database_ms} ms in the database, {sql} SQL".format(**run["scheduler_pass"]),
            "",
        ]
        out += _table(
            [{**p["seatbot"], "flow": p["flow"], "load": p["load"]} for p in run["phases"]], SEATBOT_COLUMNS
        )
        out += ["", *_against(run["phases"], "bare", "ratio", BARE_COLUMNS)]
        out += ["", *_against(run["phases"], "floor", "floor_ratio", FLOOR_COLUMNS)]
        errors = [
            f"{p['flow']}/{p['load']}: {p['seatbot']['first_error']}"
            for p in run["phases"]
            if p["seatbot"].get("first_error")
        ]
        out += ["", *(f"error: {e}" for e in errors)] if errors else []
    return "\n".join(out)
