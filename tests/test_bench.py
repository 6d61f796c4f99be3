"""``make bench`` in its quick mode: every measurement runs and the report is complete.

The values are not asserted here (they are for people and for the report); what is asserted is
that every section and every planned case is present with finite figures, and the plots exist.
The cycle-exact facts the figures rest on are asserted inside the suite itself
(:mod:`cosim.suite_bench`: doorbell to irq, LL/SC counts against the hardware's counters,
exactly-once delivery of every run).
"""

import json

import pytest

import bench.__main__ as bench_main
from bench.__main__ import main
from bench.report import check_complete, stats
from ioc_defs.params import IocParams
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
    # the FIFO cost is the full run's: a full report without it is incomplete
    assert report["fifo_cost"] == [] and "Built by the full run only" in markdown
    broken = json.loads(json.dumps(report))
    broken["meta"]["quick"] = False
    with pytest.raises(AssertionError, match="FIFO cost"):
        check_complete(broken, markdown)


def test_fifo_cost_is_the_fifo_build_beside_the_default_one(monkeypatch, tmp_path):
    """The FIFO build's figures less the default build's; a build the device cannot hold
    counts the logic nextpnr asked for; any other failure stops the bench."""
    fpga = [{"board": "ooc-ecp5", "logic_used": 3300, "logic_cell": "TRELLIS_COMB",
             "logic_available": 83640, "ff_used": 2250, "bram_used": 2},
            {"board": "ooc-ice40", "logic_used": 4100, "logic_cell": "ICESTORM_LC",
             "logic_available": 5280, "ff_used": 2300, "bram_used": 8}]
    built = []

    def build_row(board, params, out_root):
        built.append((board, params.fifo_depth, params.n_channels, out_root))
        if board == "ooc-ecp5":
            return {"dir": "d", "fmax_mhz": 101.0, "logic": 5700, "ff": 3000, "bram": 3}
        return {"dir": "d", "error": "does not fit: 6513 ICESTORM_LC of 5280",
                "overfull": [("ICESTORM_LC", 6513, 5280)]}

    monkeypatch.setattr(bench_main, "build_row", build_row)
    ecp5, ice40 = bench_main.fifo_cost(fpga, tmp_path)
    assert built == [(b, bench_main.FIFO_COST_DEPTH, IocParams().n_channels,
                      tmp_path / "synth-fifo") for b in ("ooc-ecp5", "ooc-ice40")]
    assert (ecp5["logic_added"], ecp5["ff_added"], ecp5["bram_added"], ecp5["fits"]) == \
        (2400, 750, 1, True)
    assert (ice40["logic_used"], ice40["logic_added"], ice40["ff_added"], ice40["fits"]) == \
        (6513, 2413, None, False)
    assert ice40["note"].startswith("does not fit")
    monkeypatch.setattr(bench_main, "build_row",
                        lambda board, params, out_root: {"dir": "d", "error": "tool flow failed",
                                                         "overfull": []})
    with pytest.raises(SystemExit, match="tool flow failed"):
        bench_main.fifo_cost(fpga, tmp_path)
