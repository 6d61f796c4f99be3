"""``make verify``: the bad-input fuzz, the fault soaks and the reset sweep at full length,
then ``build/verify/report.md``.

    python -m verify [--fuzz N] [--soak-faults N] [--rtl-faults N] [--sims icarus,verilator]
                     [--seed N] [--sections fuzz,soak,reset]

Each section writes ``build/verify/<section>.md`` and ``.json`` (see :mod:`verify.report`).
The exit status is non-zero if any check failed.
"""

import argparse
import sys
import time
from collections import Counter

from cosim.regress import CONFIGS, FIFO_CONFIG
from testbench.runner import SIMULATORS, read_metrics, run
from testbench.soak import FAULTS, run_reference
from verify.report import build_report, write_section

#: The configuration the RTL soak runs on: the regression's one with message FIFOs, so that its
#: draws include hwfifo (rings that fit its FIFOs) besides lock-free and locked. It has all a
#: scenario needs and more (4 agents, of which the scenarios use 2, 8 channels, the 1 KiB of RAM
#: a scenario's layout takes, 2 watchdogs); only its LL/SC window differs from the default
#: configuration's (32 cycles, not 16): the regression's scenario suite runs on both.
SOAK_PARAMS = FIFO_CONFIG

#: How far an injected fault got: injected, detected by the Linux monitor, recovered from.
_STAGES = ("injected", "detected", "recovered")


def _log(msg):
    print(msg, flush=True)


def _run(params, sim, suite, seed, env):
    start = time.monotonic()
    # A run directory of its own: a concurrent pytest run of the same suite must not mix its
    # figures into these.
    passed, failed, results = run(params, sim, suite, seed=seed,
                                  name=f"verify.{suite.rsplit('.', 1)[-1]}-{params.name()}",
                                  env={k: str(v) for k, v in env.items()})
    wall = time.monotonic() - start
    _log(f"  {suite} {sim} [{params.name()}]: {'FAIL' if failed else 'ok'} ({wall:.0f} s, "
         f"log {results.parent / 'sim.log'})")
    return failed == 0 and passed > 0, read_metrics(results), wall, results.parent / "sim.log"


#: Fuzz figures each run counts (cosim.suite_fuzz metrics) and their report labels.
_FUZZ_COUNTS = {"wrong_responses": "wrong responses", "hangs": "hangs",
                "protected_changed": "protected registers/RAM changed",
                "agent_resets": "agent resets"}
#: Rows one fuzz suite run records: fuzz_bad_inputs without and with random stalls.
_FUZZ_ROWS = 2


def fuzz(args):
    rows, ok, total, wall, unrecorded = [], True, 0, 0.0, 0
    counted = dict.fromkeys(_FUZZ_COUNTS, 0)
    for sim in args.sims:
        for params in CONFIGS:
            good, metrics, seconds, log = _run(params, sim, "cosim.suite_fuzz", args.seed,
                                               {"IOC_FUZZ_ACCESSES": args.fuzz})
            ok &= good
            wall += seconds
            for m in metrics:
                total += m["accesses"]
                for key in counted:
                    counted[key] += m[key] or 0
                rows.append((sim, params.name(), m["backpressure"], m["accesses"], m["legal"],
                             m["max_cycles"], m["max_cycles_per_beat"], m["categories"],
                             m["responses"]))
            # a run that stopped before recording has fewer rows, and is counted as such
            unrecorded += _FUZZ_ROWS - len(metrics)
            if not good:
                rows.append((sim, params.name(), "FAILED", 0, 0, 0, 0, {}, f"see {log}"))
    per_run = min((r[3] for r in rows), default=0)
    summary = {"accesses fuzzed": total, "fewest in one run": per_run,
               "runs": len(rows), **{_FUZZ_COUNTS[k]: v for k, v in counted.items()},
               "runs stopped before counting": unrecorded,
               "status": "pass" if ok else "FAIL"}
    lines = [
        "Random illegal and unprivileged AXI bursts from every agent at once (raw AXI manager, "
        "`cosim/suite_fuzz.py`, oracle `testbench/fuzz.py`), with legal traffic mixed in, on each "
        "simulator and configuration, without and with random VALID/READY stalls. Every beat's "
        "response matched the oracle (address map, SPEC §3.1 front-end rules, register block "
        "reference model); error beats carried no data; every burst was answered within "
        "64 + 16 × beats cycles (not counting the manager's own stalls); protected registers "
        "(privileged-write registers and channel epochs) and the protected half of the RAM read "
        "back unchanged; no agent reset; scoreboard and AXI checkers clean.", "",
        f"Bursts per run: {args.fuzz} (legal traffic not counted). Status: "
        f"**{'pass' if ok else 'FAIL'}**.", "",
        "| simulator | config | stalls | fuzzed | legal | slowest (cycles) | cycles/beat | "
        "categories |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cats = ", ".join(f"{k} {v}" for k, v in sorted(r[7].items()))
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | "
                     f"{cats} |")
    lines += ["", "Responses by category (all runs):", ""]
    merged = {}
    for r in rows:
        if isinstance(r[8], dict):
            for k, v in r[8].items():
                merged[k] = merged.get(k, 0) + v
    lines += [f"- {k}: {v}" for k, v in sorted(merged.items())]
    write_section("fuzz", summary, "\n".join(lines), rows=rows, wall_s=round(wall))
    return ok


def soak(args):
    _log(f"  reference soak: {args.soak_faults} faults")
    ref, ref_wall = run_reference(args.soak_faults, args.seed, progress=_log)
    ok = not ref.failed_runs and ref.n_faults >= args.soak_faults
    _log(f"  reference soak: {ref.as_dict()} ({ref_wall:.0f} s)")
    rtl = {}
    for sim in args.sims:
        good, metrics, seconds, log = _run(SOAK_PARAMS, sim, "cosim.suite_soak", args.seed,
                                           {"IOC_SOAK_FAULTS": args.rtl_faults,
                                            "IOC_SOAK_SEED": args.seed})
        faulty = [m for m in metrics if m["fault"]]
        ok &= good and len(faulty) >= args.rtl_faults
        rtl[sim] = {"runs": len(metrics), "faults": len(faulty),
                    "variants": dict(sorted(Counter(m["variant"] for m in metrics).items())),
                    **{stage: {kind: sum(1 for m in faulty if m["fault"] == kind and
                                         (stage == "injected" or m[stage]))
                               for kind in FAULTS}
                       for stage in _STAGES},
                    "violations": sum(m["violations"] for m in metrics),
                    "restarts": sum(m["restarts"] for m in metrics),
                    "messages": sum(m["messages"] for m in metrics),
                    "delivered": sum(m["delivered"] for m in metrics),
                    "dropped": sum(m["dropped"] for m in metrics),
                    "refused": sum(m["refused"] for m in metrics),
                    "rings_linearized": sum(m["rings_linearized"] for m in metrics),
                    "rings_undecided": sum(m["rings_undecided"] for m in metrics),
                    "cycles": sum(m["cycles"] for m in metrics),
                    "failed": sum(1 for m in metrics if m["failures"]),
                    "completed": good, "wall_s": round(seconds)}
    d = ref.as_dict()
    by_stage = {"injected": d["faults"], "detected": d["detected"], "recovered": d["recovered"]}
    summary = {}
    for kind in FAULTS:
        summary[f"{kind} faults injected / detected / recovered (reference)"] = " / ".join(
            str(by_stage[stage].get(kind, 0)) for stage in _STAGES)
        summary[f"{kind} faults injected / detected / recovered (RTL)"] = " / ".join(
            str(sum(r[stage][kind] for r in rtl.values())) for stage in _STAGES)
    summary.update({
        "restarts": ref.restarts + sum(r["restarts"] for r in rtl.values()),
        "messages checked": ref.messages + sum(r["messages"] for r in rtl.values()),
        "lost silently or duplicated": ref.violations + sum(r["violations"]
                                                           for r in rtl.values()),
        "failed runs": len(ref.failed_runs) + sum(r["failed"] for r in rtl.values()),
        "RTL soaks cut short": sum(1 for r in rtl.values() if not r["completed"]),
        "status": "pass" if ok else "FAIL"})
    lines = [
        "Random SPEC §6 scenarios (`testbench/soak.py`): single- or dual-core, lock-free, locked "
        "or hwfifo rings (the message FIFOs; on the RTL rings that fit its FIFOs), 1-3 "
        "producers, ring depth 2 or 4, random preemption and `resv_clear` pulses, a SimpleOS "
        "hang, crash or corruption (of the ring's index; hwfifo: of its reply lock) in turn, "
        "and in a third of the runs a "
        "hair-trigger Linux monitor that restarts a healthy SimpleOS at arbitrary points. Each "
        "run is judged: quiescent with every ring drained; no message lost silently, "
        "duplicated, reordered, corrupt or phantom; per channel sent = delivered + reported "
        "dropped + refused (busy); every ring history linearizable to a FIFO; every injected "
        "fault detected and SimpleOS serving again at a new epoch; with hwfifo, the messages a "
        "restart flushed reported dropped, exactly those. On the RTL (`cosim/suite_soak.py`, "
        f"configuration {SOAK_PARAMS.name()}) the same configurations run live, with the "
        "scoreboard and AXI checkers on. RTL runs by variant: "
        + "; ".join(f"{sim} {r['variants']}" for sim, r in rtl.items()) + ".", "",
        f"Status: **{'pass' if ok else 'FAIL'}**.", "",
        "Faults by kind, injected / detected (the Linux monitor judged SimpleOS failed) / "
        "recovered (the restarted SimpleOS served again):", "",
        "| backend | " + " | ".join(FAULTS) + " | restarts | messages | delivered | dropped | "
        "refused | lost or duplicated | rings linearized | undecided |",
        "|---|" + "---|" * (len(FAULTS) + 8),
        _soak_row("reference", by_stage, d)]
    lines += [_soak_row(f"RTL ({sim})", r, r) for sim, r in rtl.items()]
    lines += [
        "", f"Ring histories of the ring a `corrupt` fault scribbled over are not judged for "
        f"linearizability ({d['rings_exempt']} on the reference): a deliberately broken object "
        f"is no FIFO until repaired; their messages are still counted (hwfifo keeps no index in "
        f"RAM: its corruption hits the reply lock, and all its rings are judged). 'Undecided' "
        f"histories exceeded the search bound.", "",
        "Corruptions are drawn for every correct ring: the lock-free and locked rings' sequence "
        "numbers are a commit record the rebooted SimpleOS repairs `tail` from; on hwfifo it "
        "breaks the scribbled-over lock as a dead owner's. Negative control (not drawn): the "
        "naive ring has none and replays stale slots (`testbench.soak.CORRUPT_NAIVE`, flagged by "
        "the judge in the tests)."]
    if ref.failed_runs:
        lines += ["", "Failed reference runs (first 5):", ""]
        lines += [f"- {c}: {f[:3]}" for c, f in ref.failed_runs[:5]]
    write_section("soak", summary, "\n".join(lines), reference=d, rtl=rtl,
                  reference_wall_s=round(ref_wall))
    return ok


def reset(args):
    rows, ok = [], True
    for sim in args.sims:
        for params in CONFIGS:
            good, metrics, _, log = _run(params, sim, "cosim.suite_reset", args.seed, {})
            ok &= good
            for m in metrics:
                for op, r in m["operations"].items():
                    rows.append((sim, params.name(), m["backpressure"], op, r["cycles"],
                                 r["offsets"], f"{r['min_offset']}..{r['max_offset']}",
                                 r["unreachable"], sorted(set(r["outcomes"].values()))))
            if not good:
                rows.append((sim, params.name(), "FAILED", "", 0, 0, "", [], f"see {log}"))
    summary = {"landings checked": sum(r[5] for r in rows),
               "operations": sorted({r[3] for r in rows if r[3]}),
               "status": "pass" if ok else "FAIL"}
    lines = [
        "The target agent's guest reset (privileged `AGENT_CTRL[t].RESET` by agent 0, "
        "`cosim/suite_reset.py`) made to land — `agent_rst[t]` rising — at every cycle offset "
        "from before to after a doorbell, an LL/SC pair and an 8-beat write + read burst of "
        "the target. After each landing: the operation was answered (burst data intact), the "
        "other agents' reservations (their SC still succeeds), channel/event enables, the "
        "peer's pending doorbell and the RAM they own are untouched, the peer got its "
        "PEER_RESET event, and the target's next LL/SC pair and doorbell work; scoreboard "
        "(cycle-exact, so an SC fails exactly when the reset cleared its reservation) and AXI "
        "checkers clean. The global `rst` is not swept: it resets every agent at once, so no "
        "other agent's state is there to keep.", "",
        "Unreachable offsets: the reset write is itself an access, and the subsystem grants one "
        "access per cycle, so the offset at which it would have to share the slot with the "
        "operation's own register access cannot occur; the test excuses only such offsets.", "",
        f"Status: **{'pass' if ok else 'FAIL'}**.", "",
        "| simulator | config | stalls | operation | cycles | offsets landed | range | "
        "unreachable | outcomes |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {' | '.join(str(c) for c in r)} |" for r in rows]
    write_section("reset", summary, "\n".join(lines), rows=rows)
    return ok


def _soak_row(backend, by_stage, d):
    kinds = [" / ".join(str(by_stage[stage].get(kind, 0)) for stage in _STAGES)
             for kind in FAULTS]
    return (f"| {backend} | {' | '.join(kinds)} | {d['restarts']} | {d['messages']} | "
            f"{d['delivered']} | {d['dropped']} | {d['refused']} | {d['violations']} | "
            f"{d['rings_linearized']} | {d['rings_undecided']} |")


SECTIONS = {"fuzz": fuzz, "soak": soak, "reset": reset}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fuzz", type=int, default=10_000,
                        help="fuzz bursts per run (each simulator, config, stall setting)")
    parser.add_argument("--soak-faults", type=int, default=1000,
                        help="faults to inject on the reference backend")
    parser.add_argument("--rtl-faults", type=int, default=100,
                        help="faults to inject on the RTL, per simulator")
    parser.add_argument("--sims", default=",".join(SIMULATORS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    args = parser.parse_args(argv)
    args.sims = [s for s in args.sims.split(",") if s]
    ok = True
    for name in args.sections.split(","):
        start = time.monotonic()
        _log(f"verify {name}:")
        ok &= SECTIONS[name](args)
        _log(f"verify {name}: done in {time.monotonic() - start:.0f} s")
    _log(f"report: {build_report()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
