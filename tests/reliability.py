"""The fault table: tests marked `reliability(fault, expected)` report what they observed.

`scripts/reliability` runs only those tests and prints one row per test: the fault, what the
portal should do, what it did, pass or fail. The suite runs them anyway; the table is a view.
"""

import pytest

ROWS = []


def pytest_addoption(parser):
    parser.addoption(
        "--fault-table", action="store_true", help="print the reliability tests as a table"
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "reliability(fault, expected): a fault or abuse, and what the portal does"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    marker = item.get_closest_marker("reliability")
    if marker and (report.when == "call" or report.failed):
        fault, expected = marker.args
        if hasattr(item, "callspec"):
            fault = f"{fault} ({item.callspec.id})"
        observed = "as expected" if report.passed else _first_line(report)
        ROWS.append((fault, expected, observed, "pass" if report.passed else "FAIL"))
    return report


def pytest_terminal_summary(terminalreporter, config):
    if not config.getoption("--fault-table") or not ROWS:
        return
    widths = [max(len(row[column]) for row in ROWS) for column in range(3)]
    widths = [max(width, len(title)) for width, title in zip(widths, TITLES, strict=False)]
    terminalreporter.write_sep("=", "reliability: faults and abuse")
    for row in [TITLES, *ROWS]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        terminalreporter.write_line(" | ".join([*cells, row[3]]))
    failed = sum(row[3] == "FAIL" for row in ROWS)
    terminalreporter.write_line(f"{len(ROWS) - failed} of {len(ROWS)} pass")


TITLES = ("fault", "expected", "observed", "result")


def _first_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    return (crash.message if crash else str(report.longrepr)).splitlines()[0][:80]
