"""``make bench``: ``python -m bench [--quick]``.

Runs every measurement in one go and writes ``build/bench/report.json``, ``report.md`` and the
PNG plots beside them:

- the cocotb suite :mod:`cosim.suite_bench` on Verilator (cycle figures: transactions, doorbell
  to irq, end-to-end latency, throughput, SC failures);
- the simulation-speed scenario on Icarus and Verilator (cocotb), on amaranth's simulator
  (:mod:`testbench.amaranth_link`) and on the native C harness (:mod:`firmware.native`: the C
  library against the Verilated RTL, no Python in the loop);
- the FPGA figures from ``make synth``'s out-of-context reports (the builds are run when their
  report is missing or older than the RTL) and, in the full run, the cost of the message FIFOs:
  the default configuration built again with ``fifo_depth`` = :data:`FIFO_COST_DEPTH` on every
  channel, beside it;
- the LL/SC forward-progress comparison: the contended throughput cases (4 producers, lock-free
  and locked, with and without preemption) again on the same configuration with the window
  off (``resv_hold_cycles=0``), beside the default window's figures;
- the real cores: the streaming scenarios of :mod:`soc` (two CV32E40X running the C library
  on the Verilated SoC), message latency and throughput per ring variant, beside the figures
  of the Python guests above.

``--quick`` (``BENCH_QUICK=1``) runs every case with few messages, for CI: a complete report in
minutes, not seconds, from a fresh clone, because it builds its own Verilator, SoC and native
models (``make test``'s ``--durations`` listing gives each run's time). The exit status is
non-zero if a measurement failed or the report is incomplete.
"""

import argparse
import datetime
import json
import platform
import subprocess
import sys
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path

from bench.report import build_report, check_complete, plot, render_markdown
from firmware.native import run as run_native
from ioc_defs.params import IocParams
from rtl.fpga.flow import synthesize_shared
from rtl.fpga.sweep import build_row
from soc.build import LAYOUT as SOC_LAYOUT
from soc.run import scenarios as soc_scenarios
from testbench.amaranth_link import drive
from testbench.bench_workload import (
    BENCH_PARAMS,
    MAX_PRODUCERS,
    THROUGHPUT_DEPTH,
    THROUGHPUT_SLOT_WORDS,
    LatencyCase,
    ThroughputCase,
    ThroughputRun,
)
from testbench.runner import read_metrics, run, summarize

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench"
FPGA_TARGETS = ("ooc-ice40", "ooc-ecp5")
VARIANTS = ("lockfree", "locked", "naive", "hwfifo")
#: Words per message FIFO of the full run's FIFO-cost builds (two FIFOs per channel).
FIFO_COST_DEPTH = 16


def make_plan(quick):
    """Every case of a run. The naive ring runs only where it is correct: one producer."""
    n_lat, n_thr, n_speed = (5, 8, 20) if quick else (50, 100, 200)
    latency = [LatencyCase(v, single_core, words, messages=n_lat)
               for v in VARIANTS for single_core in (False, True)
               for words in (1, THROUGHPUT_SLOT_WORDS, 8)]
    throughput = [ThroughputCase(v, producers, preempt, messages=n_thr)
                  for v in VARIANTS for producers in (1, 2, 4) for preempt in (False, True)
                  if v != "naive" or producers == 1]
    speed = ThroughputCase("lockfree", 2, False, messages=n_speed)
    return {"latency": [asdict(c) for c in latency],
            "throughput": [asdict(c) for c in throughput],
            "speed": asdict(speed), "speed_name": f"lock-free, 2 producers x {n_speed} messages",
            "throughput_words": THROUGHPUT_SLOT_WORDS, "throughput_depth": THROUGHPUT_DEPTH,
            "preempt_rate": throughput[0].preempt_rate,
            "preempt_cycles": list(throughput[0].preempt_cycles)}


def holds_off_plan(plan):
    """The plan's contended throughput cases (every producer, the LL/SC variants), to run again
    with the forward-progress window off."""
    return {**plan, "throughput": [c for c in plan["throughput"]
                                   if c["variant"] in ("lockfree", "locked")
                                   and c["producers"] == MAX_PRODUCERS]}


def _suite(sim, plan_file, test_filter=None, params=BENCH_PARAMS):
    name = "bench" if test_filter is None else f"bench-{test_filter}"
    passed, failed, xml = run(params, sim, "cosim.suite_bench", test_filter=test_filter,
                              env={"IOC_BENCH_PLAN": str(plan_file)}, name=name)
    if failed:
        bad = [c["name"] for c in summarize(xml) if c["result"] != "PASS"]
        raise SystemExit(f"bench: {sim}: {bad or 'the suite'} failed; see {xml.parent}/sim.log")
    return read_metrics(xml)


def _speed_row(simulator, cycles, wall):
    return {"simulator": simulator, "cycles": cycles, "wall_s": wall,
            "cycles_per_s": cycles / wall}


def _fpga():
    """One row per out-of-context target, from its ``make synth`` report (built if missing
    or older than the RTL: :func:`rtl.fpga.flow.synthesize_shared`)."""
    rows = []
    for board in FPGA_TARGETS:
        print(f"bench: make synth BOARD={board} (unless built)", flush=True)
        report = synthesize_shared(board)
        summary = report["summary"]
        rows.append({"board": board, "device": report["device"],
                     "fmax_mhz": min(c["achieved_mhz"] for c in report["clocks"]),
                     "target_mhz": report["target_mhz"], "target_met": report["target_met"],
                     "floor_mhz": report["floor_mhz"], "floor_met": report["floor_met"],
                     "logic_used": summary["logic"]["used"],
                     "logic_cell": summary["logic"]["cell"],
                     "logic_available": summary["logic"]["available"],
                     "ff_used": summary["ff"]["used"], "bram_used": summary["bram"]["used"],
                     "bram_available": summary["bram"]["available"],
                     "report": f"build/synth/{board}/report.json"})
    return rows


def fifo_cost(fpga, out):
    """Per out-of-context target, the default configuration with message FIFOs of
    :data:`FIFO_COST_DEPTH` words on every channel, built as a row of ``make synth-sweep``, and
    what it adds to the default build (``fpga``'s row of that target). A build the device
    cannot hold counts the logic nextpnr asked for. The builds go into ``out/synth-fifo``."""
    params = replace(IocParams(), fifo_depth=FIFO_COST_DEPTH)
    rows = []
    for base in fpga:
        print(f"bench: the message FIFOs' cost on {base['board']}", flush=True)
        row = build_row(base["board"], params, out / "synth-fifo")
        needed = {cell: used for cell, used, _ in row.get("overfull", ())}
        logic = row.get("logic", needed.get(base["logic_cell"]))
        if logic is None:
            raise SystemExit(f"bench: the FIFO build for {base['board']} failed: {row['error']}; "
                             f"see {row['dir']}")
        rows.append({"board": base["board"], "fifo_depth": FIFO_COST_DEPTH,
                     "fifos": 2 * params.n_channels, "fits": "error" not in row,
                     "fmax_mhz": row.get("fmax_mhz"), "logic_used": logic,
                     "logic_added": logic - base["logic_used"],
                     "logic_available": base["logic_available"],
                     "ff_added": row["ff"] - base["ff_used"] if "ff" in row else None,
                     "bram_added": row["bram"] - base["bram_used"] if "bram" in row else None,
                     "note": row.get("error", ""), "dir": row["dir"]})
    return rows


def _real_cores(quick):
    """The SoC's streaming scenarios, one per ring variant; each must pass (firmware and the
    Python checkers) before its figures are used."""
    rows = []
    for scenario in soc_scenarios(quick=quick):
        if not scenario.name.startswith("stream-"):
            continue
        run = scenario.run()
        if not run.as_expected:
            raise SystemExit(f"bench: the SoC scenario {scenario.name} failed: "
                             f"{run.result.console[0][-3:]} {run.verdict}")
        v = run.result.values()
        rows.append({"variant": scenario.name.removeprefix("stream-"),
                     "words": SOC_LAYOUT.slot_words, "pings": scenario.defines["PINGS"],
                     "latency_min": v["latency_min"], "latency_max": v["latency_max"],
                     "rtt_min": v["rtt_min"], "rtt_max": v["rtt_max"],
                     "messages": v["stream_messages"], "cycles": v["stream_cycles"],
                     "per_kcycle": 1000 * v["stream_messages"] / v["stream_cycles"],
                     "sim_cycles_per_s": run.result.cycles / run.result.wall_s})
    return rows


def _meta(quick):
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    iverilog = subprocess.run(["iverilog", "-V"], capture_output=True, text=True).stdout
    return {"command": "make bench" + (" BENCH_QUICK=1" if quick else ""), "quick": quick,
            "commit": commit, "date": datetime.datetime.now(datetime.UTC).isoformat(
                timespec="seconds"),
            "params": asdict(BENCH_PARAMS),
            "tools": {"Icarus Verilog": iverilog.split("(")[0].split("version")[-1].strip(),
                      "Verilator": metadata.version("verilator"),
                      "amaranth": metadata.version("amaranth"),
                      "cocotb": metadata.version("cocotb"),
                      "cocotbext-axi": metadata.version("cocotbext-axi"),
                      "Python": platform.python_version()}}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few messages per case (CI)")
    parser.add_argument("--output-dir", type=Path, default=OUT)
    args = parser.parse_args(argv)
    out = args.output_dir
    out.mkdir(parents=True, exist_ok=True)
    plan = make_plan(args.quick)
    plan_file = out / "plan.json"
    plan_file.write_text(json.dumps(plan, indent=1))

    print("bench: cycle measurements (Verilator)", flush=True)
    rows = _suite("verilator", plan_file)
    print("bench: the contended cases with the forward-progress window off", flush=True)
    off_file = out / "plan-holds-off.json"
    off_file.write_text(json.dumps(holds_off_plan(plan), indent=1))
    off_rows = _suite("verilator", off_file, "throughput",
                      params=replace(BENCH_PARAMS, resv_hold_cycles=0))
    speed = []
    for sim in ("icarus", "verilator"):
        print(f"bench: simulation speed ({sim})", flush=True)
        source = rows if sim == "verilator" else _suite(sim, plan_file, "simulation_speed")
        (row,) = [r for r in source if r["kind"] == "speed"]
        speed.append(_speed_row(sim, row["cycles"], row["wall_s"]))
    print("bench: simulation speed (amaranth)", flush=True)
    result, cycles, wall = drive(BENCH_PARAMS, ThroughputRun(ThroughputCase(**plan["speed"])))
    assert result["messages"] == plan["speed"]["producers"] * plan["speed"]["messages"]
    speed.append(_speed_row("amaranth", cycles, wall))
    print("bench: simulation speed (native C harness)", flush=True)
    native = run_native("stress", "lockfree", producers=plan["speed"]["producers"],
                        messages=plan["speed"]["messages"], switch_rate=0.0)
    if not native.ok:
        raise SystemExit(f"bench: the native run failed: {native.failures}")
    speed.append(_speed_row("native", native.summary["cycles"], native.summary["wall"]))
    fpga = _fpga()
    fifo_cost_rows = [] if args.quick else fifo_cost(fpga, out)
    print("bench: real cores (the SoC's streaming scenarios)", flush=True)
    real = _real_cores(args.quick)

    report = build_report(_meta(args.quick), rows, speed, fpga, plan, real, off_rows,
                          fifo_cost_rows)
    report["plots"] = plot(report, out)
    markdown = render_markdown(report, report["plots"])
    (out / "report.json").write_text(json.dumps(report, indent=1))
    (out / "report.md").write_text(markdown)
    check_complete(report, markdown)
    print(f"bench: wrote {out / 'report.md'} and report.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
