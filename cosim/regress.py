"""``make sim``: the cocotb regression on one simulator, with a summary table.

    python -m cosim.regress --sim icarus|verilator [--waves 0|1] [--seed N]
                            [--suites S,...] [--configs C,...] [--tests REGEX]

``--suites`` (short names, e.g. ``suite_mailbox``), ``--configs`` (configuration names as the
table prints them) and ``--tests`` (a regular expression on test names) select part of the
regression; by default it runs every test of every suite on every configuration.
"""

import argparse
import random
import re
import sys
import time

from ioc_defs.params import PROGRESS_WINDOW, IocParams
from testbench.runner import SIMULATORS, WAVES_ROOT, read_metrics, run, summarize
from testbench.tb import CLOCK_NS

__all__ = ["SUITES", "CONFIGS", "FIFO_CONFIG", "main"]

#: cocotb suites of the regression, in order.
SUITES = ["cosim.suite_foundation", "cosim.suite_mailbox", "cosim.suite_protocol",
          "cosim.suite_scenarios", "cosim.suite_coverage"]
#: The regression's configuration with message FIFOs: 4 agents, a small RAM, 4-word FIFOs and
#: the forward-progress window of the SoC and the bench.
FIFO_CONFIG = IocParams(n_agents=4, shm_bytes=1024, fifo_depth=4,
                        resv_hold_cycles=PROGRESS_WINDOW)
#: Configurations every suite runs on: the default and :data:`FIFO_CONFIG`.
CONFIGS = [IocParams(), FIFO_CONFIG]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cosim.regress", description=__doc__)
    parser.add_argument("--sim", choices=SIMULATORS, default="icarus")
    parser.add_argument("--waves", type=int, choices=(0, 1), default=0)
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed (default: a fresh one, printed)")
    parser.add_argument("--suites", type=_choice_list(_SUITE_NAMES), default=list(_SUITE_NAMES),
                        help=f"comma-separated suites (default all: {','.join(_SUITE_NAMES)})")
    parser.add_argument("--configs", type=_choice_list(_CONFIG_NAMES),
                        default=list(_CONFIG_NAMES),
                        help=f"comma-separated configurations (default all: "
                             f"{','.join(_CONFIG_NAMES)})")
    parser.add_argument("--tests", type=_regex, default=None,
                        help="regular expression selecting test names (default all)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    print(f"regression on {args.sim}, seed {seed} (reproduce with SEED={seed})", flush=True)

    rows, scenarios, progress, failed = [], [], [], 0
    for suite in (_SUITE_NAMES[name] for name in args.suites):
        for params in (_CONFIG_NAMES[name] for name in args.configs):
            start = time.monotonic()
            _, n_failed, results = run(params, args.sim, suite, seed=seed,
                                       test_filter=args.tests)
            failed += n_failed
            if args.waves:
                for case in summarize(results):
                    run(params, args.sim, suite, seed=seed, waves=True,
                        test_filter=rf"\.{re.escape(case['name'])}$",
                        name=_wave_name(suite, case["name"], params))
            for m in read_metrics(results):
                if m.get("test") == "progress":
                    progress.append((params.name(), args.sim, m["window"], m["think"],
                                     "/".join(map(str, m["ok"])), "/".join(map(str, m["fail"])),
                                     "/".join(map(str, m["worst_run"]))))
                    continue
                latency = (f"{m['latency_min']}/{m['latency_median']:g}/{m['latency_max']}"
                           if "latency_min" in m else "")
                recovery = (f"{m['detection']}+{m['recovery']}" if "detection" in m else "")
                scenarios.append((m["scenario"], params.name(), args.sim, m["messages"],
                                  m["cycles"], latency, recovery, m["result"]))
            for case in summarize(results):
                rows.append((suite.rsplit(".", 1)[-1], params.name(), case["name"],
                             case["result"], round(case["sim_ns"] / CLOCK_NS)))
            print(f"  {suite} [{params.name()}]: {'FAIL' if n_failed else 'ok'} "
                  f"({time.monotonic() - start:.1f} s, log {results.parent / 'sim.log'})",
                  flush=True)

    _table(_HEADER, rows)
    _table(_SCENARIO_HEADER, scenarios)
    _table(_PROGRESS_HEADER, progress)
    n_pass = sum(1 for r in rows if r[3] == "PASS")
    print(f"\n{args.sim}: {n_pass} passed, {len(rows) - n_pass} failed (seed {seed})")
    if args.waves:
        print(f"waveforms: {WAVES_ROOT}/<suite>.<test>-<config>/{args.sim}.fst, with "
              f"{args.sim}.gtkw beside each (gtkwave <that .gtkw>)")
    return 1 if failed or not rows else 0


_SUITE_NAMES = {suite.rsplit(".", 1)[-1]: suite for suite in SUITES}
_CONFIG_NAMES = {params.name(): params for params in CONFIGS}


def _choice_list(choices):
    """An argparse type: a comma-separated, non-empty list of names from ``choices``."""
    def parse(text):
        names = [name for name in text.split(",") if name]
        bad = [name for name in names if name not in choices]
        if bad or not names:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected comma-separated names from {', '.join(choices)}")
        return names
    return parse


def _regex(text):
    try:
        re.compile(text)
    except re.error as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular expression: {e}") from None
    return text


def _wave_name(suite, case, params):
    """A directory name for one scenario's waveforms."""
    test = re.sub(r"[^A-Za-z0-9_.=-]+", "_", case)
    return f"{suite.rsplit('.', 1)[-1]}.{test}-{params.name()}"


def _table(header, rows):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print()
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


_HEADER = ("suite", "config", "test", "result", "cycles")
_SCENARIO_HEADER = ("scenario", "config", "simulator", "messages", "cycles",
                    "latency min/median/max", "detect+recover", "result")
_PROGRESS_HEADER = ("LL/SC loops: config", "simulator", "window", "think", "SC ok per agent",
                    "SC failed per agent", "longest failure run per agent")

if __name__ == "__main__":
    sys.exit(main())
