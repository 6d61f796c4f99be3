"""``python -m firmware build`` (``make firmware``): every build of the C library (host shim,
host thread stress, SH-4A and RV32 stresses, RV32 with picolibc, the native RTL harness).

``python -m firmware soak [--runs N] [--seed S]`` (``make soak-native``): the native soak;
prints every run, then messages, cycles, cycles/s and losses; exit status 1 if a check failed.
"""

import argparse
import sys

from .build import default_layout, host_library, host_stress, linux_stress, rv32_program
from .native import build_harness
from .soak import soak


def _build():
    layout = default_layout()
    for name, path in (("host library", host_library(layout)),
                       ("host stress", host_stress(layout)),
                       ("SH-4A stress", linux_stress("sh4a", layout)[0]),
                       ("RV32 stress", linux_stress("rv32", layout)[0]),
                       ("RV32 smoke", rv32_program(layout)[0]),
                       ("native RTL harness", build_harness())):
        print(f"built {name}: {path}", flush=True)
    return 0


def _soak(runs, seed):
    totals, fig3 = soak(runs, seed, progress=lambda line: print(line, flush=True))
    print(f"native soak: {totals.runs} runs, {totals.messages} messages, {totals.delivered} "
          f"delivered, {totals.restarts} restarts, {totals.cycles} cycles in "
          f"{totals.wall:.1f} s = {totals.cycles_per_s:.0f} cycles/s, "
          f"losses {totals.violations} (correct variants), histories linearized "
          f"{totals.rings_linearized} (undecided {totals.rings_undecided}); Fig. 3 naive lost "
          f"{[hex(m) for m in fig3.get('naive', [])]} (detected)")
    for config, failures in totals.failed_runs:
        print(f"FAILED {config}: {failures[:3]}")
    return 0 if totals.ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m firmware", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build the C library for every target")
    s = sub.add_parser("soak", help="the native soak against the Verilated RTL")
    s.add_argument("--runs", type=int, default=40)
    s.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "build":
        return _build()
    if args.runs < 0:
        parser.error(f"--runs must be non-negative, not {args.runs}")
    return _soak(args.runs, args.seed)


if __name__ == "__main__":
    sys.exit(main())
