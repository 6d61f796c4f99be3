"""Turning the raw measurements of ``make bench`` into ``report.json``, ``report.md`` and plots.

:func:`build_report` derives every figure of the report from the raw rows (numpy statistics,
lower bounds, ratios); :func:`render_markdown` and :func:`plot` present it; :func:`check_complete`
is what ``make test`` asserts about a report (every section and every planned case is there,
every figure is a finite number, every plot exists), not the values.
"""

import math
from pathlib import Path

import numpy as np

__all__ = ["stats", "build_report", "render_markdown", "plot", "check_complete", "SECTIONS"]

#: Top-level sections of ``report.json``, in the order ``report.md`` presents them.
SECTIONS = ("transactions", "doorbell_irq", "latency", "throughput", "speed", "fpga",
            "real_cores", "progress")
#: The forward-progress goal: every producer's worst message latency at most this many times
#: the run's p99.
WORST_OVER_P99_GOAL = 2
_STATS = ("min", "median", "p99", "max", "mean")


def stats(values):
    """min / median / p99 / max / mean of ``values`` (numpy; p99 by linear interpolation)."""
    a = np.asarray(values, dtype=float)
    if a.size == 0:
        raise ValueError("no values")
    return {"n": int(a.size), "min": float(a.min()), "median": float(np.median(a)),
            "p99": float(np.percentile(a, 99)), "max": float(a.max()), "mean": float(a.mean())}


def _config(case):
    return "single-core" if case["single_core"] else "dual-core"


def build_report(meta, rows, speed, fpga, plan, real_cores, holds_off_rows, fifo_cost=()):
    """The report as a JSON-able dict.

    ``rows`` are the suite's metric rows; ``speed`` the simulation-speed rows (one per
    simulator, Icarus first); ``fpga`` the out-of-context synthesis reports; ``plan`` the cases
    that were run; ``real_cores`` the SoC's streaming figures, one row per variant (each gets
    the Python guests' figures of the same variant and slot size beside it);
    ``holds_off_rows`` the suite's throughput rows of some of the plan's cases run again with
    the forward-progress window off (each set beside the same case with the window on);
    ``fifo_cost`` the message FIFOs' cost per out-of-context target (full run only).
    """
    by_kind = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    txn = {r["op"]: {"pins": r["pins"], "port": r["port"]} for r in by_kind["transaction"]}
    # One dependent access at a time: a protocol step costs a read's or a write's uncontended
    # latency, at the pins (the hardware alone) or as the bus master sees it.
    unit = {level: {"read": txn["read"][level], "write": txn["write"][level]}
            for level in ("pins", "port")}

    def bound(reads, writes, level):
        return reads * unit[level]["read"] + writes * unit[level]["write"]

    latency = []
    for r in by_kind["latency"]:
        case = r["case"]
        reads, writes = int(np.median(r["reads"])), int(np.median(r["writes"]))
        s = stats(r["latency"])
        row = {"variant": case["variant"], "config": _config(case), "words": case["words"],
               "messages": len(r["latency"]), **s, "reads": reads, "writes": writes,
               "transactions": reads + writes,
               "bound_port": bound(reads, writes, "port"),
               "bound_pins": bound(reads, writes, "pins")}
        row["ratio_port"] = s["median"] / row["bound_port"]
        row["ratio_pins"] = s["median"] / row["bound_pins"]
        row["to_delivery"] = stats(r["to_delivery"])
        latency.append(row)

    def isolated(variant, words):
        return next((r for r in latency if r["variant"] == variant and r["words"] == words
                     and r["config"] == "dual-core"), None)

    def throughput_row(r):
        case = r["case"]
        s = stats(r["latency"])
        ref = isolated(case["variant"], plan["throughput_words"])
        row = {"variant": case["variant"], "producers": case["producers"],
               "preempt": case["preempt"], "messages": r["messages"], "cycles": r["cycles"],
               "per_kcycle": 1000 * r["messages"] / r["cycles"],
               "transactions_per_message": r["transactions"] / r["messages"],
               "ll": r["ll"], "sc": r["sc"], "sc_fail": r["sc_fail"],
               "sc_fail_rate": r["sc_fail"] / r["sc"] if r["sc"] else 0.0,
               "preemptions": r["preempted"],
               "latency": {**s, "values": r["latency"]}, "producer_max": r["producer_max"],
               "producer_sc_fail": r["hw"]["SC_FAIL_COUNT"][:case["producers"]],
               "isolated": ref["to_delivery"]["median"] if ref else None}
        row["ratio_isolated"] = s["median"] / row["isolated"] if ref else None
        row["worst_over_p99"] = max(row["producer_max"]) / s["p99"]
        return row

    throughput = [throughput_row(r) for r in by_kind["throughput"]]
    window = meta["params"]["resv_hold_cycles"]
    progress = []
    for r in holds_off_rows:
        off = throughput_row(r)
        key = (off["variant"], off["producers"], off["preempt"])
        (on,) = [t for t in throughput if (t["variant"], t["producers"], t["preempt"]) == key]
        for w, row in ((0, off), (window, on)):
            progress.append({**row, "window": w,
                             "goal_met": row["worst_over_p99"] <= WORST_OVER_P99_GOAL})

    def single_producer(variant):
        return next((r for r in throughput if r["variant"] == variant and r["producers"] == 1
                     and not r["preempt"]), None)

    real = []
    for r in real_cores:
        model = isolated(r["variant"], r["words"])
        stream = single_producer(r["variant"])
        real.append({**r, "model_latency": model["median"] if model else None,
                     "model_per_kcycle": stream["per_kcycle"] if stream else None})

    icarus = speed[0]["cycles_per_s"]
    speed = [{**s, "ratio_to_icarus": s["cycles_per_s"] / icarus} for s in speed]
    (db,) = by_kind["doorbell_irq"]
    return {"meta": meta, "plan": plan,
            "transactions": [{"op": op, **v} for op, v in txn.items()],
            "doorbell_irq": {"from_request": db["from_request"],
                             "from_response": db["from_response"]},
            "latency": latency, "throughput": throughput, "speed": speed, "fpga": fpga,
            "fifo_cost": list(fifo_cost), "real_cores": real, "progress": progress}


def _fmt(x, digits=1):
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(report, plots):
    """``report.md``: every table of the report, the plots linked."""
    meta = report["meta"]
    out = ["# spumone-ioc benchmark report", "",
           f"Reproduce with `{meta['command']}` (mode: {'quick' if meta['quick'] else 'full'}; "
           f"commit `{meta['commit']}`, {meta['date']}).", "",
           "Every cycle figure is measured on the RTL (Verilator through cocotb) and is exact "
           "and deterministic for the given seeds; wall-clock figures are from this machine. "
           "Configuration: " + ", ".join(f"`{k}={v}`" for k, v in meta["params"].items()) + ".",
           "", "Tools: " + ", ".join(f"{k} {v}" for k, v in meta["tools"].items()) + ".", ""]

    out += ["## 1. Transactions, uncontended (cycles)", "",
            "*pins*: from the cycle of the request handshake (AR, or AW with W) to the cycle of "
            "the response handshake (R or B), inclusive; *port*: from the bus master's call to "
            "its return (cocotbext-axi adds its issue cycle).", ""]
    out += _table(["access", "pins", "port"],
                  [[t["op"], t["pins"], t["port"]] for t in report["transactions"]])
    plain = {t["op"]: t["pins"] for t in report["transactions"]}
    out += ["", f"Exclusive vs plain: LL {plain['ll']} vs read {plain['read']}, SC "
            f"{plain['sc_ok']} (success) / {plain['sc_fail']} (failure) vs write "
            f"{plain['write']}: exclusives add no latency.", ""]
    db = report["doorbell_irq"]
    out += [f"Doorbell → irq: irq rises {db['from_response']} cycles after the doorbell write's "
            f"B handshake, {db['from_request']} cycles counting from its AW/W handshake "
            "(inclusive).", ""]

    out += ["## 2. End-to-end message latency, one message in flight (cycles)", "",
            "From the sender's first request (the enqueue's first access) to the last response "
            "of the receiver's interrupt handler (doorbell acknowledged, ring drained until "
            "empty). Dual-core: sender agent 0, receiver agent 1 waiting on its irq. "
            "Single-core: one agent; the doorbell interrupts it, the hypervisor switches to the "
            "receiving guest (`resv_clear` pulsed) and back. *Bound*: the bus transactions of "
            "that path times the uncontended latency of one (table 1), as the master sees it "
            "(port) and at the pins; ratio = median / bound.", ""]
    out += _table(["variant", "config", "words", "n", "min", "median", "p99", "max", "reads",
                   "writes", "bound (port)", "ratio", "bound (pins)", "ratio"],
                  [[r["variant"], r["config"], r["words"], r["messages"], _fmt(r["min"], 0),
                    _fmt(r["median"], 0), _fmt(r["p99"], 0), _fmt(r["max"], 0), r["reads"],
                    r["writes"], r["bound_port"], _fmt(r["ratio_port"], 2), r["bound_pins"],
                    _fmt(r["ratio_pins"], 2)] for r in report["latency"]])
    out += ["", "The naive ring is benchmarked where it is correct: one producer. *hwfifo* is "
            "the register block's message FIFO of the channel (SPEC 3.5) behind the same ring "
            "interface (`sw_model.ring.HwFifoRing`): a status read, then the words, under the "
            "ring's LL/SC lock when a message has more than one word."]

    out += ["", "## 3. Throughput", "",
            f"Each producer (agent p, doorbell channel p) streams its messages "
            f"({report['plan']['throughput_words']}-word slots, ring depth "
            f"{report['plan']['throughput_depth']}) into one ring; the consumer (the next "
            "agent) takes its irq, acknowledges and drains. Preemption: before each memory "
            "operation of a producer, with probability "
            f"{report['plan']['preempt_rate']}, the hypervisor takes the CPU away for "
            f"{report['plan']['preempt_cycles'][0]}–{report['plan']['preempt_cycles'][1]} "
            "cycles and pulses `resv_clear`. Messages per 1000 cycles from the first send to "
            "the last delivery; bus transactions of every agent per message; SC failures / SC "
            "attempts (the hardware's own SC counters agree with the ports', asserted). "
            "*hwfifo*: a message FIFO has one sending agent, so each producer sends into its "
            "own channel's FIFO and the consumer drains every one of them.", ""]
    out += _table(["variant", "producers", "preempt", "messages", "cycles", "msg/1000 cyc",
                   "txn/msg", "LL", "SC", "SC fail", "SC fail rate", "preemptions"],
                  [[r["variant"], r["producers"], _fmt(r["preempt"]), r["messages"], r["cycles"],
                    _fmt(r["per_kcycle"], 2), _fmt(r["transactions_per_message"], 1), r["ll"],
                    r["sc"], r["sc_fail"], f"{100 * r['sc_fail_rate']:.1f} %",
                    r["preemptions"]] for r in report["throughput"]])

    out += ["", "## 4. Message latency under load (cycles)", "",
            "Per message, from its first send attempt to its delivery (the dequeue that takes "
            "it), in the throughput runs: producers send back to back, so with several of "
            "them the ring runs full and this includes the queueing (and the retries of a "
            "busy ring). *Isolated*: the same span with one message in flight "
            "(dual-core, same variant and slot size; table 2's runs). A ratio below 1 is real: "
            "a consumer already draining the ring takes a message without the doorbell, irq and "
            "acknowledge round trip. *Per producer*: each producer's worst latency and its "
            "failed SCs (from the hardware counters): neither variant is fair, and a producer "
            "whose SC keeps losing waits until the others are done.", ""]
    out += _table(["variant", "producers", "preempt", "n", "min", "median", "p99", "max",
                   "isolated", "median / isolated", "per producer: max", "per producer: SC fail"],
                  [[r["variant"], r["producers"], _fmt(r["preempt"]), r["latency"]["n"],
                    _fmt(r["latency"]["min"], 0), _fmt(r["latency"]["median"], 0),
                    _fmt(r["latency"]["p99"], 0), _fmt(r["latency"]["max"], 0),
                    _fmt(r["isolated"], 0), _fmt(r["ratio_isolated"], 2),
                    " / ".join(map(str, r["producer_max"])),
                    " / ".join(map(str, r["producer_sc_fail"]))]
                   for r in report["throughput"]])

    out += ["", "## 5. Simulation speed", "",
            f"The same scenario ({report['plan']['speed_name']}: set-up, every agent, the "
            "hardware counters read back) on each simulator, in one run: simulated cycles per "
            "wall-clock second, the Python bus models included (cocotbext-axi under cocotb; "
            "the cycle-based AXI manager model under amaranth.sim). The cocotb scoreboard and "
            "protocol checkers are off for this measurement. `native` is the C guest library "
            "(`firmware/`) on the Verilated RTL with its C++ harness, no Python in the loop: the "
            "same producers and messages on the lock-free ring, with three agents (producers on "
            "two, the consumer on the third) and the run's history recorded for the checkers.",
            ""]
    out += _table(["simulator", "cycles", "wall s", "cycles/s", "ratio to Icarus"],
                  [[s["simulator"], s["cycles"], _fmt(s["wall_s"], 3), _fmt(s["cycles_per_s"], 0),
                    _fmt(s["ratio_to_icarus"], 2)] for s in report["speed"]])

    out += ["", "## 6. FPGA (out-of-context builds, from `make synth`)", ""]
    out += _table(["target", "device", "Fmax MHz", "target MHz", "met", "floor MHz", "met",
                   "logic", "FFs", "block RAM", "report"],
                  [[f["board"], f["device"], _fmt(f["fmax_mhz"], 1), f["target_mhz"],
                    _fmt(f["target_met"]), f["floor_mhz"], _fmt(f["floor_met"]),
                    f"{f['logic_used']} / {f['logic_available']}",
                    f["ff_used"], f"{f['bram_used']} / {f['bram_available']}",
                    f"`{f['report']}`"] for f in report["fpga"]])
    out += ["", "**The message FIFOs' cost** (hwfifo; the rings cost no logic: they are words of "
            "the shared RAM): the default configuration built again with message FIFOs on every "
            "channel, beside the row above."]
    if report["fifo_cost"]:
        out += [""] + _table(
            ["target", "FIFOs x words", "Fmax MHz", "logic", "added logic", "added FFs",
             "added block RAM", "build"],
            [[f["board"], f"{f['fifos']} x {f['fifo_depth']}", _fmt(f["fmax_mhz"], 1),
              f"{f['logic_used']} / {f['logic_available']}", f"+{f['logic_added']}",
              "—" if f["ff_added"] is None else f"+{f['ff_added']}",
              "—" if f["bram_added"] is None else f"+{f['bram_added']}",
              f"{f['note'] + '; ' if f['note'] else ''}`{f['dir']}`"]
             for f in report["fifo_cost"]])
    else:
        out += ["", "Built by the full run only (`make bench`), not by `--quick`."]
    out += ["", "## 7. Real cores: two CV32E40X running the C library (`make soc`)", "",
            "The SoC's streaming scenarios (`soc/firmware/stream.c` on the IOC C library, "
            "Verilated with the RTL): the Linux-role core sends, the SimpleOS-role core drains "
            "its rings in its C interrupt handler and replies to every message. *Latency*: one "
            "message in flight, from the sender's read of the IOC cycle counter before "
            "`ioc_send` to the receiver's read right after `ioc_recv` in its handler; *round "
            "trip*: until the sender has the reply. *msg/kcycle*: messages per 1000 cycles "
            "while streaming on three channels, replies included in the work. Beside them, the "
            "Python guests of tables 2 and 3 on the same variant and slot size: the dual-core "
            "median latency (first request to the handler's last response) and one producer's "
            "throughput. Every figure is checked exactly-once by the firmware and by the Python "
            "checkers before it is used.", ""]
    out += _table(["variant", "words", "latency", "round trip", "msg/kcycle", "messages",
                   "Python guests: latency", "Python guests: msg/kcycle", "sim cycles/s"],
                  [[r["variant"], r["words"], f"{r['latency_min']}..{r['latency_max']}",
                    f"{r['rtt_min']}..{r['rtt_max']}", _fmt(r["per_kcycle"], 2),
                    r["messages"], _fmt(r["model_latency"], 0),
                    _fmt(r["model_per_kcycle"], 2), _fmt(r["sim_cycles_per_s"], 0)]
                   for r in report["real_cores"]])
    out += ["", "## 8. Forward progress: the LL/SC window on and off", "",
            "The contended cases of table 3 (every producer on one ring) run twice on the same "
            "configuration: with the window off (`resv_hold_cycles=0`, the plain monitor) and "
            f"with the default window. Goal: every producer's worst message latency at most "
            f"{WORST_OVER_P99_GOAL}x the run's p99 (*worst / p99*). *Per producer*: its worst "
            "latency and its failed SCs (the hardware counters).", ""]
    out += _table(["variant", "producers", "preempt", "window", "msg/1000 cyc", "p99", "max",
                   "worst / p99", "goal met", "per producer: max", "per producer: SC fail"],
                  [[r["variant"], r["producers"], _fmt(r["preempt"]), r["window"],
                    _fmt(r["per_kcycle"], 2), _fmt(r["latency"]["p99"], 0),
                    _fmt(r["latency"]["max"], 0), _fmt(r["worst_over_p99"], 2),
                    _fmt(r["goal_met"]), " / ".join(map(str, r["producer_max"])),
                    " / ".join(map(str, r["producer_sc_fail"]))]
                   for r in report["progress"]])
    out += ["", "## Plots", ""]
    out += [f"![{title}]({Path(path).name})" for title, path in plots.items()]
    out.append("")
    return "\n".join(out)


def plot(report, out_dir):
    """Write the PNG plots; return ``{title: path}``."""
    import matplotlib  # noqa: PLC0415 (heavy; only the report needs it)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    out_dir = Path(out_dir)
    paths = {}

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 6))
    lat = report["latency"]
    labels = [f"{r['variant']} {r['config'].split('-')[0]} {r['words']}w" for r in lat]
    x = np.arange(len(lat))
    med = np.array([r["median"] for r in lat])
    err = np.array([[r["median"] - r["min"] for r in lat], [r["max"] - r["median"] for r in lat]])
    ax1.bar(x, med, yerr=err, color="tab:blue", alpha=0.8, label="measured (min–max)")
    ax1.scatter(x, [r["bound_port"] for r in lat], marker="_", s=300, color="black",
                label="bound (port)", zorder=3)
    ax1.scatter(x, [r["bound_pins"] for r in lat], marker="_", s=300, color="tab:red",
                label="bound (pins)", zorder=3)
    ax1.set_xticks(x, labels, fontsize=7, rotation=70, ha="right")
    ax1.set_ylabel("cycles")
    ax1.set_title("End-to-end latency, one message in flight")
    ax1.legend(fontsize=8)
    thr = report["throughput"]
    ax2.boxplot([r["latency"]["values"] for r in thr], whis=(1, 99), showfliers=True,
                flierprops={"markersize": 2})
    ax2.set_xticks(np.arange(1, len(thr) + 1),
                   [f"{r['variant']} {r['producers']}p{' preempted' if r['preempt'] else ''}"
                    for r in thr], fontsize=7, rotation=70, ha="right")
    ax2.set_ylabel("cycles (send to delivery)")
    ax2.set_title("Message latency under load (box: quartiles, whiskers: p1–p99)")
    fig.tight_layout()
    paths["Latency distributions"] = out_dir / "latency.png"
    fig.savefig(paths["Latency distributions"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    series = {}
    for r in thr:
        series.setdefault((r["variant"], r["preempt"]), []).append(
            (r["producers"], r["per_kcycle"]))
    for (variant, preempt), pts in sorted(series.items()):
        pts.sort()
        ax.plot([p for p, _ in pts], [v for _, v in pts], marker="o",
                linestyle="--" if preempt else "-",
                label=f"{variant}{' + preemption' if preempt else ''}")
    ax.set_xlabel("producers")
    ax.set_ylabel("messages per 1000 cycles")
    ax.set_xticks(sorted({r["producers"] for r in thr}))
    ax.set_title("Throughput vs producers")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths["Throughput vs producers"] = out_dir / "throughput.png"
    fig.savefig(paths["Throughput vs producers"], dpi=110)
    plt.close(fig)
    return {title: str(path) for title, path in paths.items()}


def _finite(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_complete(report, markdown):
    """Raise :class:`AssertionError` naming what is missing: a section, a planned case, a
    non-finite figure, a plot file, a heading of ``report.md``."""
    missing = [s for s in SECTIONS if not report.get(s)]
    assert not missing, f"sections missing: {missing}"
    plan = report["plan"]
    got = {(r["variant"], r["config"], r["words"]) for r in report["latency"]}
    want = {(c["variant"], "single-core" if c["single_core"] else "dual-core", c["words"])
            for c in plan["latency"]}
    assert got == want, f"latency cases missing: {want - got}"
    got = {(r["variant"], r["producers"], r["preempt"]) for r in report["throughput"]}
    want = {(c["variant"], c["producers"], c["preempt"]) for c in plan["throughput"]}
    assert got == want, f"throughput cases missing: {want - got}"
    got = {(r["variant"], r["producers"], r["preempt"], r["window"]) for r in report["progress"]}
    want = {(c["variant"], c["producers"], c["preempt"], w) for c in plan["throughput"]
            if (c["variant"], c["producers"]) in {(r["variant"], r["producers"])
                                                  for r in report["progress"]}
            for w in (0, report["meta"]["params"]["resv_hold_cycles"])}
    assert got == want and len({w for *_, w in got}) == 2, \
        f"forward-progress cases missing: {want - got}"
    assert {s["simulator"] for s in report["speed"]} == {"icarus", "verilator", "amaranth",
                                                          "native"}
    for r in report["latency"]:
        for key in (*_STATS, "bound_port", "bound_pins", "ratio_port", "ratio_pins"):
            assert _finite(r[key]) and r[key] > 0, f"latency {r}: {key}"
    for r in report["throughput"]:
        for key in ("per_kcycle", "transactions_per_message", "sc_fail_rate"):
            assert _finite(r[key]), f"throughput {r}: {key}"
        for key in _STATS:
            assert _finite(r["latency"][key]), f"throughput {r}: latency {key}"
    for s in report["speed"]:
        assert _finite(s["cycles_per_s"]) and s["cycles_per_s"] > 0, s
    for f in report["fpga"]:
        assert _finite(f["fmax_mhz"]) and f["fmax_mhz"] > 0, f
        assert f["logic_used"] > 0, f
    if not report["meta"]["quick"]:
        boards = {f["board"] for f in report["fifo_cost"]}
        assert boards == {f["board"] for f in report["fpga"]}, f"FIFO cost: only {boards}"
    for f in report["fifo_cost"]:
        assert f["logic_added"] > 0, f"FIFO cost {f}: no logic added"
    variants = {r["variant"] for r in report["real_cores"]}
    assert variants == {"lockfree", "locked", "naive"}, f"real_cores variants: {variants}"
    for r in report["real_cores"]:
        for key in ("latency_min", "rtt_min", "per_kcycle", "sim_cycles_per_s"):
            assert _finite(r[key]) and r[key] > 0, f"real cores {r}: {key}"
    for path in report["plots"].values():
        assert Path(path).stat().st_size > 0, path
    for n, title in enumerate(("Transactions", "End-to-end message latency", "Throughput",
                               "Message latency under load", "Simulation speed", "FPGA",
                               "Real cores", "Forward progress"), 1):
        assert f"## {n}. {title}" in markdown, f"report.md lacks section {n}: {title}"
