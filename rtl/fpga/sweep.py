"""``make synth-sweep``: out-of-context builds of a list of configurations, one table.

``python -m rtl.fpga.sweep [--board ooc-ice40 --board ooc-ecp5] [--agents 2 4 8]
[--channels 8 32] [--fifo-depth 0 16]`` builds every (board, n_agents, n_channels,
fifo_depth) with :func:`rtl.fpga.flow.synthesize` (other parameters at their defaults, seed 1)
into ``build/synth/sweep/<board>-<config>/`` and writes ``build/synth/sweep/report.md`` and
``report.json``: Fmax, logic cells / LUTs, flip-flops, block RAM and the critical path of each,
so that the cost of agents, channels and message FIFOs shows. Every figure comes from that
build's own report; a configuration the device cannot hold (or that a tool fails on) gets a
row saying so, with the log's place.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from ioc_defs.params import IocParams

from .boards import BOARDS
from .flow import ROOT, overfull, synthesize

__all__ = ["sweep", "build_row", "main", "BOARDS_DEFAULT", "AGENTS_DEFAULT", "CHANNELS_DEFAULT",
           "FIFO_DEPTHS_DEFAULT"]

BOARDS_DEFAULT = ("ooc-ice40", "ooc-ecp5")
AGENTS_DEFAULT = (2, 4, 8)
CHANNELS_DEFAULT = (8, 32)
FIFO_DEPTHS_DEFAULT = (0,)


def sweep(boards=BOARDS_DEFAULT, agents=AGENTS_DEFAULT, channels=CHANNELS_DEFAULT,
          out_root=None, seed=1, fifo_depths=FIFO_DEPTHS_DEFAULT):
    """Build every configuration; returns the rows of the table (also written to disk)."""
    for board in boards:
        if board not in BOARDS or not BOARDS[board].ooc:
            raise ValueError(f"board must be an out-of-context target "
                             f"({', '.join(b for b in BOARDS if BOARDS[b].ooc)}), not {board!r}")
    out_root = ROOT / "build" / "synth" / "sweep" if out_root is None else Path(out_root)
    rows = []
    for board in boards:
        for n_agents in agents:
            for n_channels in channels:
                for fifo_depth in fifo_depths:
                    params = IocParams(n_agents=n_agents, n_channels=n_channels,
                                       fifo_depth=fifo_depth)
                    print(f"sweep: building {board}-{params.name()}", flush=True)
                    rows.append(build_row(board, params, out_root, seed))
                    _write(rows, out_root, seed)
    return rows


def build_row(board, params, out_root, seed=1):
    """Build ``params`` for ``board`` into ``out_root/<board>-<config>/`` and return its row:
    the configuration, and Fmax, logic, flip-flops, block RAM and the critical path from the
    build's own report, or ``error`` (``"does not fit: N <cell> of M"`` when the device is too
    small) with the build directory, where the logs are."""
    name = f"{board}-{params.name()}"
    build_dir = Path(out_root) / name / board
    row = {"board": board, "n_agents": params.n_agents, "n_channels": params.n_channels,
           "fifo_depth": params.fifo_depth,
           "dir": str(build_dir.relative_to(ROOT) if build_dir.is_relative_to(ROOT)
                      else build_dir)}
    try:
        report = synthesize(board, params=params, out_root=Path(out_root) / name, seed=seed)
    except subprocess.CalledProcessError as error:
        full = overfull(build_dir)
        row["error"] = ("does not fit: " + ", ".join(
            f"{used} {cell} of {available}" for cell, used, available in full)
            if full else f"tool flow failed ({error.cmd[0] if error.cmd else error})")
        row["overfull"] = full
        return row
    summary = report["summary"]
    path = report["critical_paths"][0] if report["critical_paths"] else None
    row.update({
        "fmax_mhz": min(c["achieved_mhz"] for c in report["clocks"]),
        "floor_mhz": report["floor_mhz"], "floor_met": report["floor_met"],
        "target_mhz": report["target_mhz"], "target_met": report["target_met"],
        "logic": summary["logic"]["used"], "logic_cell": summary["logic"]["cell"],
        "logic_available": summary["logic"]["available"],
        "ff": summary["ff"]["used"], "bram": summary["bram"]["used"],
        "critical_ns": path["delay_ns"] if path else None,
        "critical_levels": path["logic_levels"] if path else None,
        "critical_through": path["through"] if path else [],
    })
    return row


def _write(rows, out_root, seed):
    """The tables so far (rewritten after every build, so a long sweep can be read as it
    goes)."""
    out_root.mkdir(parents=True, exist_ok=True)
    (out_root / "report.json").write_text(json.dumps(rows, indent=2) + "\n")
    (out_root / "report.md").write_text(_md(rows, seed))


def _md(rows, seed):
    lines = ["# Synthesis sweep (out of context)", "",
             f"Other parameters at their defaults; nextpnr seed {seed}. Each row's own report "
             "is in its directory.", "",
             "| board | agents | channels | FIFO depth | Fmax (MHz) | floor / target | logic | "
             "FF | BRAM | critical path |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['board']} | {r['n_agents']} | {r['n_channels']} | "
                         f"{r['fifo_depth']} | — | — | — | — "
                         f"| — | {r['error']}; logs in `{r['dir']}` |")
            continue
        verdict = ("target met" if r["target_met"] else
                   "floor met" if r["floor_met"] else "BELOW FLOOR")
        lines.append(
            f"| {r['board']} | {r['n_agents']} | {r['n_channels']} | {r['fifo_depth']} | "
            f"{r['fmax_mhz']} | "
            f"{r['floor_mhz']} / {r['target_mhz']}: {verdict} | "
            f"{r['logic']} / {r['logic_available']} `{r['logic_cell']}` | {r['ff']} | "
            f"{r['bram']} | {r['critical_ns']} ns, {r['critical_levels']} levels: "
            f"{' → '.join(r['critical_through'])} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rtl.fpga.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--board", action="append", choices=sorted(b for b in BOARDS
                                                                   if BOARDS[b].ooc),
                        help="out-of-context target (repeatable; default both)")
    parser.add_argument("--agents", type=int, nargs="+", default=list(AGENTS_DEFAULT))
    parser.add_argument("--channels", type=int, nargs="+", default=list(CHANNELS_DEFAULT))
    parser.add_argument("--fifo-depth", type=int, nargs="+", default=list(FIFO_DEPTHS_DEFAULT),
                        help="words per message FIFO (0: none)")
    parser.add_argument("--seed", type=int, default=1, help="nextpnr seed")
    args = parser.parse_args(argv)
    try:
        sweep(tuple(args.board or BOARDS_DEFAULT), args.agents, args.channels, seed=args.seed,
              fifo_depths=args.fifo_depth)
    except ValueError as error:
        parser.error(str(error))
    print((ROOT / "build" / "synth" / "sweep" / "report.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
