"""Test tiers by marker, and where a run's time went: one line per tier at the end of the run.

CI has a hard time limit and runs on whatever CPU it gets; the tier table and `--durations`
tell a slow run's reader which tier grew, without re-running anything.
"""

from __future__ import annotations

from collections import defaultdict

from rag.index.recipes import cpu_model

# A test carrying several markers is counted in the first tier it has here (the dev set is bench and smoke).
TIERS = ("smoke", "bench", "browser", "model")
_tier_of: dict[str, str] = {}
_spent: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])


def tier(item) -> str:
    return next((name for name in TIERS if item.get_closest_marker(name)), "fast")


def pytest_report_header(config):
    return f"CPU: {cpu_model()}"


def pytest_collection_modifyitems(config, items):
    _tier_of.update({item.nodeid: tier(item) for item in items})


def pytest_runtest_logreport(report):
    spent = _spent[_tier_of.get(report.nodeid, "fast")]
    spent[0] += report.when == "call"
    spent[1] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _spent:
        return
    terminalreporter.section("time per tier (setup + call + teardown)")
    for name in ("fast", *reversed(TIERS)):
        if name in _spent:
            count, seconds = _spent[name]
            terminalreporter.write_line(f"{name:8} {count:4d} tests {seconds:8.1f} s")
