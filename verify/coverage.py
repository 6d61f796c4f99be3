"""``make coverage``: functional and code coverage of the cosim suites, merged, with its holes.

    python -m verify.coverage [--sims icarus,verilator] [--seed N] [--jobs N] [--report-only]

Runs every cosim suite (``cosim.regress.SUITES``, :mod:`cosim.suite_coverage` among them) on every
configuration of the regression with coverage on: functional coverage (the cover groups of
:mod:`testbench.covergroups`, sampled by :mod:`testbench.coverage_monitor` in every test) on each
simulator asked for, and Verilator line, branch and toggle coverage on a coverage build. Then
it merges the per-test files across tests, suites, simulators and configurations, and writes

* ``build/verify/coverage.json``: every bin with its hits, the code-coverage figures, the holes;
* ``build/verify/coverage.md``: the report fragment (hits per cover item, line/branch/toggle %,
  the holes, each waived with its reason from :mod:`verify.coverage_waivers` or not);
* ``build/verify/coverage/<config>.dat`` (merged Verilator coverage, ``coverage.dat`` format)
  and ``build/verify/coverage/<config>/ioc_subsystem.v`` (the Verilog annotated with counts).

Exits non-zero if a suite failed, a hole is not waived, or a waiver's bins were hit.
"""

import argparse
import fnmatch
import json
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cosim.regress import CONFIGS, SUITES
from ioc_defs.params import TOP_NAME
from testbench.covergroups import PRIMARY
from testbench.runner import SIMULATORS, run
from verify.coverage_waivers import WAIVERS
from verify.vcov import Point, merge

__all__ = ["suites", "load_run", "merge_functional", "holes", "code_coverage", "write_report",
           "main"]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "verify"


def suites():
    """The suites run under coverage: the regression's (``cosim.suite_coverage`` among them)."""
    return list(SUITES)


def load_run(run_dir):
    """The per-test functional coverage records of one run directory."""
    return [json.loads(p.read_text()) for p in sorted((Path(run_dir) / "coverage").glob("*.json"))]


def merge_functional(records):
    """Sum the hits of per-test records: ``{item: {bin: hits}}`` over the union of bins (bins
    exist per configuration, e.g. agent 3 only where there are 4 agents)."""
    merged = defaultdict(dict)
    for record in records:
        for item, bins in record["hits"].items():
            target = merged[item]
            for b, n in bins.items():
                target[b] = target.get(b, 0) + n
    return {item: dict(bins) for item, bins in sorted(merged.items())}


def holes(merged, waivers=WAIVERS, items=PRIMARY):
    """Classify the bins of the primary items.

    Returns ``(waived, unwaived, wrong)``: waived holes as ``(item, bin, reason)``, unwaived
    holes as ``(item, bin)``, and waivers whose bins were hit as ``(waiver, [bins hit])``.
    """
    waived, unwaived, wrong = [], [], []
    for w in waivers:
        hit = [b for b, n in merged.get(w.item, {}).items() if n and fnmatch.fnmatchcase(b, w.bins)]
        if hit:
            wrong.append((w, hit))
    for item in items:
        for b, n in merged.get(item, {}).items():
            if n:
                continue
            reason = next((w.reason for w in waivers
                           if w.item == item and fnmatch.fnmatchcase(b, w.bins)), None)
            if reason is None:
                unwaived.append((item, b))
            else:
                waived.append((item, b, reason))
    return waived, unwaived, wrong


def _wakeup_dummies(sources):
    """``(file, line)`` of Yosys's ``always @*`` wake-up dummies in the generated Verilog: a
    ``reg`` that is constant 0 and an ``if (<it>) begin end`` at the top of every combinational
    block, which exist to start the block at time 0. Their points (the ``if`` arm never taken,
    the register never toggling) are not design logic and are left out of the figures."""
    lines = set()
    for source in sources:
        for n, text in enumerate(Path(source).read_text().splitlines(), start=1):
            if "verilog_backend.cc" in text and "dump_module" in text:
                lines.add((source, n))
    return lines


def _source_line(path, line):
    lines = Path(path).read_text().splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def code_coverage(dat_files_by_config, out_dir):
    """Merge each configuration's ``coverage.dat`` files (points of the generated Verilog only),
    write the merged file and the annotated Verilog; returns the figures per configuration."""
    figures = {}
    for config, paths in sorted(dat_files_by_config.items()):
        data = merge(paths).only(lambda p: p.file.endswith(f"{TOP_NAME}.v"))
        dummies = _wakeup_dummies({Point(k).file for k in data.counts})
        kept = data.only(lambda p, dummies=dummies: (p.file, p.line) not in dummies)
        excluded = len(data.counts) - len(kept.counts)
        data = kept
        out_dir.mkdir(parents=True, exist_ok=True)
        data.write(out_dir / f"{config}.dat")
        for source in sorted({Point(k).file for k in data.counts}):
            data.annotate(source, out_dir / config / Path(source).name)
        figures[config] = {
            "runs": len(paths),
            "excluded_wakeup_dummy_points": excluded,
            "summary": {k: list(v) for k, v in data.summary().items()},
            "toggle_by_instance": {k: list(v) for k, v in data.by_instance("toggle").items()},
            "line_by_instance": {k: list(v) for k, v in data.by_instance("line").items()},
            "uncovered_lines": [
                {"line": p.line, "kind": p.kind, "what": p.what, "hier": p.hier,
                 "text": _source_line(p.file, p.line)}
                for p in data.uncovered()],
        }
    return figures


def _pct(covered, total):
    return 100.0 * covered / total if total else 100.0


def write_report(out, merged, per_sim, code, runs, seed):
    """Write ``coverage.json`` and ``coverage.md`` under ``out``; returns the hole lists."""
    waived, unwaived, wrong = holes(merged)
    out.mkdir(parents=True, exist_ok=True)
    doc = {
        "seed": seed, "runs": runs,
        "functional": {item: {"hit": sum(1 for n in bins.values() if n), "total": len(bins),
                              "bins": bins} for item, bins in merged.items()},
        "functional_by_simulator": {
            sim: {item: {"hit": sum(1 for n in bins.values() if n), "total": len(bins)}
                  for item, bins in m.items()} for sim, m in per_sim.items()},
        "code": code,
        "holes": {"waived": [{"item": i, "bin": b, "reason": r} for i, b, r in waived],
                  "unwaived": [{"item": i, "bin": b} for i, b in unwaived],
                  "wrong_waivers": [{"item": w.item, "bins": w.bins, "hit": hit}
                                    for w, hit in wrong]},
    }
    primary = [doc["functional"][item] for item in PRIMARY if item in doc["functional"]]
    hit, total = sum(g["hit"] for g in primary), sum(g["total"] for g in primary)
    summary = {  # the headline figures of build/verify/report.md
        "functional bins hit (cover crosses)": f"{hit}/{total}, {len(waived)} waived",
        "holes without a waiver": len(unwaived),
    }
    for cfg, c in code.items():
        for kind in ("line", "branch", "toggle"):
            got, of = c["summary"][kind]
            summary[f"{kind} % ({cfg})"] = round(100 * got / of, 1) if of else None
    doc = {"summary": summary, **doc}
    (out / "coverage.json").write_text(json.dumps(doc, indent=1))

    simulators = ", ".join(sorted({r["simulator"] for r in runs}))
    configs = ", ".join(sorted({r["config"] for r in runs}))
    sim_cols = " | ".join(f"{s} hit" for s in per_sim)
    lines = ["## Coverage", "",
             f"`make coverage`: {len(runs)} suite runs ({simulators}; configurations "
             f"{configs}), seed {seed}. "
             "Functional coverage is sampled from the DUT's signals in every cocotb test "
             "(cocotb-coverage); code coverage is Verilator's on a coverage build.", "",
             "### Functional coverage", "",
             f"| cover item | bins hit | bins | % | {sim_cols} |",
             "|---|---:|---:|---:|" + "---:|" * len(per_sim)]
    for item, bins in merged.items():
        hit = sum(1 for n in bins.values() if n)
        sims = " | ".join(str(sum(1 for n in m.get(item, {}).values() if n)) for m in
                          per_sim.values())
        lines.append(f"| `{item}` | {hit} | {len(bins)} | {_pct(hit, len(bins)):.1f} | {sims} |")
    lines += ["", "### Code coverage (Verilator, generated Verilog)", "",
              "| configuration | runs | line | branch | toggle |", "|---|---:|---:|---:|---:|"]
    for config, fig in code.items():
        cells = []
        for kind in ("line", "branch", "toggle"):
            c, t = fig["summary"].get(kind, (0, 0))
            cells.append(f"{_pct(c, t):.1f} % ({c}/{t})")
        lines.append(f"| {config} | {fig['runs']} | " + " | ".join(cells) + " |")
    if code:
        lines += ["", "Toggle coverage per instance: " + "; ".join(
            f"{config}: " + ", ".join(f"{inst} {_pct(c, t):.0f} %"
                                      for inst, (c, t) in fig["toggle_by_instance"].items())
            for config, fig in code.items()) + ".",
            "", "Left out: the points of Yosys's `always @*` wake-up dummies (a constant `reg` and "
            "an empty `if` on it at the top of every combinational block): " + "; ".join(
                f"{config}: {fig['excluded_wakeup_dummy_points']}" for config, fig in code.items())
            + ".",
            "", "Line/branch points never hit (annotated Verilog under "
            "`build/verify/coverage/<config>/`): " + "; ".join(
                f"{config}: {len(fig['uncovered_lines'])}" for config, fig in code.items())
            + "."]
        for config, fig in code.items():
            if 0 < len(fig["uncovered_lines"]) <= 20:
                lines += ["", f"Never hit in {config}:", ""]
                lines += [f"- `{u['hier']}` line {u['line']} ({u['kind']}): `{u['text']}`"
                          for u in fig["uncovered_lines"]]
    lines += ["", "### Holes", ""]
    if unwaived:
        lines += [f"**{len(unwaived)} holes not waived:**", ""]
        lines += [f"- `{i}`: {b}" for i, b in unwaived]
        lines.append("")
    if wrong:
        lines += ["**Waivers whose bins were hit (the waiver is wrong):**", ""]
        lines += [f"- `{w.item}` `{w.bins}`: hit {', '.join(hit[:5])}" for w, hit in wrong]
        lines.append("")
    by_reason = defaultdict(list)
    for i, b, r in waived:
        by_reason[(i, r)].append(b)
    lines += [f"{len(waived)} holes waived (`verify/coverage_waivers.py`):", ""]
    for (i, r), bins in by_reason.items():
        shown = ", ".join(bins[:4]) + (f", ... ({len(bins)} bins)" if len(bins) > 4 else "")
        lines.append(f"- `{i}` {shown}: {r}")
    if not unwaived and not wrong:
        lines += ["", "Every other bin of the primary items was hit."]
    (out / "coverage.md").write_text("\n".join(lines) + "\n")
    return waived, unwaived, wrong


def run_all(sims, configs, suite_names, seed, jobs):
    """Run every suite x config x simulator with coverage; returns the run records."""

    def one(job):
        suite, params, sim = job
        start = time.monotonic()
        passed, failed, results = run(params, sim, suite, seed=seed, coverage=True)
        run_dir = results.parent
        print(f"  {suite} [{params.name()}] {sim}: {'FAIL' if failed else 'ok'} "
              f"({time.monotonic() - start:.0f} s)", flush=True)
        return {"suite": suite, "config": params.name(), "simulator": sim,
                "passed": passed, "failed": failed, "dir": str(run_dir)}

    # Verilator builds first (they are the long ones), then the rest.
    jobs_list = [(s, p, sim) for sim in sorted(sims, key=lambda s: s != "verilator")
                 for p in configs for s in suite_names]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, jobs_list))


def report(runs, seed, out=OUT):
    """Merge what ``runs`` left in their run directories and write the report."""
    records, per_sim, dats = [], defaultdict(list), defaultdict(list)
    for r in runs:
        recs = load_run(r["dir"])
        records += recs
        per_sim[r["simulator"]] += recs
        dat = Path(r["dir"]) / "coverage.dat"
        if r["simulator"] == "verilator" and dat.exists():
            dats[r["config"]].append(dat)
    merged = merge_functional(records)
    per_sim_merged = {sim: merge_functional(recs) for sim, recs in sorted(per_sim.items())}
    code = code_coverage(dats, out / "coverage")
    return merged, write_report(out, merged, per_sim_merged, code, runs, seed)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m verify.coverage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sims", default=",".join(SIMULATORS),
                        help="simulators for functional coverage (code coverage: verilator)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report-only", action="store_true",
                        help="merge the runs a previous invocation left under build/sim")
    args = parser.parse_args(argv)
    sims = [s for s in args.sims.split(",") if s]
    for s in sims:
        if s not in SIMULATORS:
            parser.error(f"unknown simulator {s!r}")
    start = time.monotonic()
    index = OUT / "coverage_runs.json"
    if args.report_only:
        runs = json.loads(index.read_text())
    else:
        print(f"coverage: {len(suites())} suites x {len(CONFIGS)} configurations x "
              f"{', '.join(sims)}, seed {args.seed}", flush=True)
        runs = run_all(sims, CONFIGS, suites(), args.seed, args.jobs)
        OUT.mkdir(parents=True, exist_ok=True)
        index.write_text(json.dumps(runs, indent=1))
    merged, (waived, unwaived, wrong) = report(runs, args.seed)
    print((OUT / "coverage.md").read_text())
    failed = sum(r["failed"] for r in runs)
    print(f"coverage: {failed} failed suite runs, {len(unwaived)} holes not waived, "
          f"{len(waived)} waived, {len(wrong)} wrong waivers ({time.monotonic() - start:.0f} s); "
          f"report {OUT / 'coverage.md'}")
    return 1 if failed or unwaived or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
