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
from testbench.bench_workload import LatencyCase, ThroughputCase

pytestmark = pytest.mark.cosim


def test_stats_are_numpy_order_statistics():
    s = stats(range(1, 101))
    assert (s["min"], s["median"], s["max"], s["n"]) == (1, 50.5, 100, 100)
    assert s["p99"] == pytest.approx(99.01)
    with pytest.raises(ValueError, match="no values"):
        stats([])


@pytest.mark.parametrize("make, message", [
    (lambda: LatencyCase("fastest", False, 1), "variant must be one of"),
    (lambda: LatencyCase("lockfree", False, 0), "words must be an integer of at least 1"),
    (lambda: ThroughputCase("locked", 5, False), "producers must be at most 4"),
    (lambda: ThroughputCase("locked", 2, False, messages=True), "messages must be an integer"),
])
def test_cases_reject_bad_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_quick_bench(tmp_path):
    """One run of the quick bench (one test, so parallel workers never run two at once): the
    report is complete, its completeness check catches a missing case or a non-finite figure,
    and every latency bound is the row's transactions times table 1's uncontended latencies,
    which no measurement beats."""
    assert main(["--quick", "--output-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    markdown = (tmp_path / "report.md").read_text()
    check_complete(report, markdown)
    assert report["meta"]["command"] == "make bench BENCH_QUICK=1"
    for title, path in report["plots"].items():
        assert f"]({path.rsplit('/', 1)[-1]})" in markdown, title

    txn = {t["op"]: t for t in report["transactions"]}
    for row in report["latency"]:
        for level in ("pins", "port"):
            assert row[f"bound_{level}"] == (row["reads"] * txn["read"][level]
                                             + row["writes"] * txn["write"][level])
        assert row["min"] >= row["bound_pins"], row

    # the real cores (SoC streaming scenarios) beside the Python guests of the same variant
    for row in report["real_cores"]:
        assert 0 < row["latency_min"] <= row["latency_max"] < row["rtt_min"] <= row["rtt_max"]
        assert row["per_kcycle"] == 1000 * row["messages"] / row["cycles"]
        assert row["model_latency"] > 0 and row["model_per_kcycle"] > 0, row
    assert "## 7. Real cores" in markdown

    broken = json.loads(json.dumps(report))
    broken["real_cores"] = [r for r in broken["real_cores"] if r["variant"] != "naive"]
    with pytest.raises(AssertionError, match="real_cores|variant"):
        check_complete(broken, markdown)
    broken = json.loads(json.dumps(report))
    broken["throughput"] = broken["throughput"][1:]
    with pytest.raises(AssertionError, match="throughput cases missing"):
        check_complete(broken, markdown)
    broken = json.loads(json.dumps(report))
    broken["latency"][0]["median"] = float("nan")
    with pytest.raises(AssertionError, match="latency"):
        check_complete(broken, markdown)
    with pytest.raises(AssertionError, match="lacks section 3"):
        check_complete(report, markdown.replace("## 3. Throughput", "## Throughput"))
