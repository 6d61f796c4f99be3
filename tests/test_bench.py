"""``make bench`` in its quick mode: every measurement runs and the report is complete.

The values are not asserted here (they are for people and for the report); what is asserted is
that every section and every planned case is present with finite figures, and the plots exist.
The cycle-exact facts the figures rest on are asserted inside the suite itself
(:mod:`cosim.suite_bench`: doorbell to irq, LL/SC counts against the hardware's counters,
exactly-once delivery of every run).
"""

import json

import pytest

from bench.__main__ import main
from bench.report import check_complete, stats

pytestmark = pytest.mark.cosim


def test_stats_are_numpy_order_statistics():
    s = stats(range(1, 101))
    assert (s["min"], s["median"], s["max"], s["n"]) == (1, 50.5, 100, 100)
    assert s["p99"] == pytest.approx(99.01)
    with pytest.raises(ValueError, match="no values"):
        stats([])


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    assert main(["--quick", "--output-dir", str(out)]) == 0
    return out


def test_quick_bench_report_is_complete(quick_report):
    report = json.loads((quick_report / "report.json").read_text())
    markdown = (quick_report / "report.md").read_text()
    check_complete(report, markdown)
    assert report["meta"]["command"] == "make bench BENCH_QUICK=1"
    for title, path in report["plots"].items():
        assert f"]({path.rsplit('/', 1)[-1]})" in markdown, title


def test_completeness_check_catches_a_missing_case(quick_report):
    report = json.loads((quick_report / "report.json").read_text())
    markdown = (quick_report / "report.md").read_text()
    report["throughput"] = report["throughput"][1:]
    with pytest.raises(AssertionError, match="throughput cases missing"):
        check_complete(report, markdown)
    report = json.loads((quick_report / "report.json").read_text())
    report["latency"][0]["median"] = float("nan")
    with pytest.raises(AssertionError, match="latency"):
        check_complete(report, markdown)


def test_lower_bounds_follow_the_transaction_counts(quick_report):
    """The bound of every latency row is its reads and writes times the uncontended read and
    write latency of table 1, and no measurement beats its bound."""
    report = json.loads((quick_report / "report.json").read_text())
    txn = {t["op"]: t for t in report["transactions"]}
    for row in report["latency"]:
        for level in ("pins", "port"):
            assert row[f"bound_{level}"] == (row["reads"] * txn["read"][level]
                                             + row["writes"] * txn["write"][level])
        assert row["min"] >= row["bound_pins"], row
